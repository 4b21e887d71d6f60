import { describe, expect, it } from "@effect/vitest"
import { isSensitiveField } from "../../src/stix/SensitiveFields.js"

describe("isSensitiveField", () => {
  it.each([
    "password",
    "password_plaintext",
    "salt",
    "cc_number",
    "cc_code",
    "cc_expiration",
    "api_token",
    "private_key",
    "cookies",
    "form_post_data",
    "bank_routing_number",
    "ssn",
    // not listed, but named like secrets
    "session_token",
    "auth_cookie",
    "master_passphrase",
    "aws_secret_access_key",
    "cc_holder",
    // by pattern: none of these is on SpyCloud's list
    "pass",
    "pwd",
    "pin",
    "otp_seed",
    "authorization",
    "bearer",
    "jwt",
    "aws_access_key",
    "apikey",
    "apiKey",
    "X-Auth-Token",
    "sessionid",
    "cvv2",
    "card_pin"
  ])("%s is sensitive", (field) => {
    expect(isSensitiveField(field)).toBe(true)
  })

  it.each([
    "password_type",
    "has_password",
    "email",
    "username",
    "full_name",
    "phone",
    "keyboard_languages",
    "record_cracked_date",
    "ip_addresses",
    "document_id",
    "author",
    "country_code",
    "postal_code",
    "shipping_address",
    "spycloud_publish_date",
    "infected_machine_id",
    "target_url",
    "user_agent"
  ])("%s is not", (field) => {
    expect(isSensitiveField(field)).toBe(false)
  })
})
