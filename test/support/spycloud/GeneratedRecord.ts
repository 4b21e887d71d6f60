/**
 * Realistic breach records and catalog entries (field names, types and variety as in docs/spycloud-api.md, "The
 * breach catalog" and "Breach record fields"): emails and names, plaintext and hashed passwords, infostealer
 * fields (Windows paths, IPv4 and IPv6 addresses, `|` in keyboard languages), card data now and then, masked
 * `********` values, fields no schema knows, and malformed records on request. Every value derives from the
 * record's index and the seed.
 */
import type { RecordInfo } from "./Dataset.js"
import { sequence, unitAt } from "./SeededRandom.js"

const MASK = "********"
const ORG_DOMAIN = "example-corp.com"
const ORG_SUBDOMAIN = "vpn.example-corp.com"
const ORG_IP_PREFIX = "203.0.113."

const FIRST = ["alice", "bruno", "chloe", "dmitri", "emma", "farid", "giulia", "hiro", "ines", "jonas", "karin", "liam"]
const LAST = ["martin", "novak", "okafor", "petit", "quinn", "rossi", "schmidt", "tanaka", "ueda", "varga", "weber"]
const CONSUMER = ["gmail.com", "outlook.com", "yahoo.fr", "proton.me", "gmx.de"]
const SITES = ["netflix.com", "paypal.com", "office.com", "github.com", "zoom.us", "steampowered.com", "okta.com"]
const SUBS = ["www", "login", "accounts", "signin", "app"]
const OS = ["Windows 10 Pro [x64]", "Windows 11 Home [x64]", "Windows 10 Enterprise [x64]", "Windows 7 Ultimate [x86]"]
const BROWSERS = ["Google Chrome 124", "Microsoft Edge 123", "Mozilla Firefox 125", "Opera 109"]
const LANGUAGES = ["English (United States)", "French (France)", "German (Germany)", "Russian (Russia)", "Spanish"]
const MALWARE = ["RedLine", "Raccoon", "Vidar", "LummaC2", "StealC", "RisePro"]
const HASH_TYPES = ["md5", "sha1", "bcrypt", "sha256", "md5-half"]
const COUNTRIES = [["France", "FR"], ["United States", "US"], ["Germany", "DE"], ["Brazil", "BR"], ["India", "IN"]]
const CARD_TYPES = ["visa", "mastercard", "amex"]

const isoSeconds = (millis: number) => new Date(millis).toISOString().replace(/\.\d{3}Z$/, "Z")

const HEX_BYTES = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"))

/** Draws for one record, in a fixed order: the same record always gets the same values. */
class Draws {
  private readonly next: () => number

  constructor(seed: number, index: number) {
    this.next = sequence(Math.floor(unitAt(seed, index, 0) * 4_294_967_296))
  }

  unit(): number {
    return this.next()
  }

  int(bound: number): number {
    return Math.floor(this.next() * bound)
  }

  pick<A>(values: ReadonlyArray<A>): A {
    return values[this.int(values.length)]!
  }

  hex(length: number): string {
    let text = ""
    while (text.length < length) {
      const word = Math.floor(this.next() * 4_294_967_296)
      text += HEX_BYTES[word >>> 24]! + HEX_BYTES[(word >>> 16) & 255]! + HEX_BYTES[(word >>> 8) & 255]! +
        HEX_BYTES[word & 255]!
    }
    return text.length === length ? text : text.slice(0, length)
  }
}

/** The record as served for `info`; malformed records are broken in the way `info.malformed` says. */
export const buildRecord = (info: RecordInfo, seed: number): unknown => {
  if (info.malformed === "not-an-object") return `corrupted record ${info.index}`
  const draw = new Draws(seed, info.index)

  const first = draw.pick(FIRST)
  const last = draw.pick(LAST)
  const emailUser = `${first}.${last}${draw.int(100)}`
  const emailDomain = info.watchlistType === "ip" ? draw.pick(CONSUMER) : info.watchlistType === "subdomain"
    ? ORG_SUBDOMAIN
    : ORG_DOMAIN
  const record: Record<string, unknown> = {
    document_id: info.documentId,
    source_id: info.sourceId,
    spycloud_publish_date: info.publishDate,
    severity: info.severity,
    email: `${emailUser}@${emailDomain}`,
    email_domain: emailDomain,
    email_username: emailUser,
    domain: emailDomain,
    sighting: 1 + draw.int(12)
  }
  if (draw.unit() < 0.4) {
    record.full_name = `${first[0]!.toUpperCase()}${first.slice(1)} ${last[0]!.toUpperCase()}${last.slice(1)}`
    record.first_name = first
    record.last_name = last
  }
  if (draw.unit() < 0.1) record.username = `${first[0]}${last}`

  const plaintext = `${last}${draw.int(10_000)}!`
  const malware = info.severity >= 25
  if (info.severity === 5) {
    record.password_type = draw.pick(HASH_TYPES)
    record.password = record.password_type === "bcrypt"
      ? `$2a$10$${draw.hex(53)}`
      : draw.hex(record.password_type === "sha1" ? 40 : 32)
    if (draw.unit() < 0.1) record.salt = draw.hex(16)
  } else if (info.severity === 20) {
    if (draw.unit() < 0.5) {
      record.password = plaintext
      record.password_type = "plaintext"
    } else {
      record.password = draw.hex(32)
      record.password_type = "md5"
      record.record_cracked_date = info.publishDate
    }
    record.password_plaintext = plaintext
  } else if (malware) {
    record.password = plaintext
    record.password_plaintext = plaintext
    record.password_type = "plaintext"
  }
  if ((info.severity === 5 || info.severity === 20) && draw.unit() < 0.03) {
    record.cc_number = draw.hex(40)
    record.cc_code = String(100 + draw.int(900))
    record.cc_expiration = `${String(1 + draw.int(12)).padStart(2, "0")}/2${draw.int(9)}`
    record.cc_type = draw.pick(CARD_TYPES)
  }

  const ipv4 = info.watchlistType === "ip"
    ? `${ORG_IP_PREFIX}${1 + draw.int(254)}`
    : `${11 + draw.int(200)}.${draw.int(256)}.${draw.int(256)}.${1 + draw.int(254)}`
  if (malware || info.watchlistType === "ip") {
    const addresses = [ipv4]
    if (draw.unit() < 0.3) addresses.push(`2001:db8:${draw.hex(4)}::${draw.hex(4)}`)
    record.ip_addresses = addresses
  }
  if (malware) {
    const site = draw.pick(SITES)
    const sub = draw.pick(SUBS)
    const user = `${first[0]!.toUpperCase()}${first.slice(1)}`
    const [country, countryCode] = draw.pick(COUNTRIES)
    const languages = [draw.pick(LANGUAGES)]
    if (draw.unit() < 0.6) languages.push(draw.pick(LANGUAGES))
    record.target_url = `https://${sub}.${site}/login?next=%2Fhome`
    record.target_domain = site
    record.target_subdomain = `${sub}.${site}`
    record.infected_machine_id = `${draw.hex(8)}-${draw.hex(4)}-${draw.hex(4)}`
    record.log_id = draw.hex(40)
    record.infected_path = `C:\\Users\\${user}\\AppData\\Local\\Temp\\${draw.hex(6)}\\setup_x64.exe`
    record.infected_time = isoSeconds(
      Date.parse(info.publishDate) - (1 + draw.int(20)) * 86_400_000 + draw.int(86_400) * 1000
    )
    record.user_hostname = `DESKTOP-${draw.hex(7).toUpperCase()}`
    record.user_os = draw.pick(OS)
    record.user_browser = draw.pick(BROWSERS)
    record.user_agent =
      `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.${
        draw.int(9999)
      }.0 Safari/537.36`
    record.keyboard_languages = languages.join(" | ")
    record.user_sys_registered_owner = user
    record.country = country
    record.country_code = countryCode
    record.malware_family = draw.pick(MALWARE)
    record.display_resolution = "1920x1080"
    record.timezone = "(UTC+01:00) Brussels, Copenhagen, Madrid, Paris"
    if (draw.unit() < 0.2) record.mac_address = draw.hex(12).toUpperCase()
    if (draw.unit() < 0.3) record.av_softwares = ["Windows Defender"]
    if (info.severity === 26) record.form_cookies_data = `session=${draw.hex(24)}; domain=.${site}`
    if (info.severity === 30) {
      record.form_cookies_data = `auth_token=${draw.hex(32)}`
      record.session_validated = true
    }
  }

  // With asset allow-listing SpyCloud masks what the key may not see (docs/spycloud-api.md, "Masked values").
  if (draw.unit() < 0.05) {
    record.email = MASK
    if (record.username !== undefined) record.username = MASK
    if (Array.isArray(record.ip_addresses)) record.ip_addresses = [MASK]
  }
  // Fields no schema knows yet.
  if (draw.unit() < 0.1) {
    record.x_spycloud_experimental = { score: draw.int(100), tags: ["beta"] }
    record.account_signup_time = info.publishDate
  }
  if (info.modificationDate !== undefined) record.record_modification_date = info.modificationDate

  switch (info.malformed) {
    case "missing-document-id":
      delete record.document_id
      break
    case "bad-publish-date":
      record.spycloud_publish_date = "not-a-date"
      break
    case "missing-source-id":
      delete record.source_id
      break
    case "bad-severity":
      record.severity = "critical"
      break
  }
  return record
}

const MAIN_CATEGORIES = ["breach", "combolist", "malware", "phished"]
const CATEGORIES = ["exfiltrated", "combolist", "infostealer", "phished", "scraped", "exposed"]

/** The catalog entry of a known source. */
export const buildCatalog = (id: number, position: number, seed: number, endDate: string): Record<string, unknown> => {
  const draw = new Draws(seed ^ 0x5eed, position)
  const published = Date.parse(`${endDate}T00:00:00Z`) - (30 + draw.int(700)) * 86_400_000
  return {
    id,
    uuid: `${draw.hex(8)}-${draw.hex(4)}-4${draw.hex(3)}-a${draw.hex(3)}-${draw.hex(12)}`,
    title: `Stand-in Breach ${id}`,
    short_title: `Breach ${id}`,
    description: `Generated breach number ${position} | for tests`,
    site: position % 3 === 0 ? "n/a" : `breached-${position}.example`,
    site_description: "A site that does not exist",
    type: position % 2 === 0 ? "PUBLIC" : "PRIVATE",
    num_records: 1000 + draw.int(10_000_000),
    spycloud_publish_date: isoSeconds(published),
    acquisition_date: isoSeconds(published - 10 * 86_400_000),
    confidence: 1 + (position % 3),
    breach_main_category: MAIN_CATEGORIES[position % MAIN_CATEGORIES.length],
    breach_category: CATEGORIES[position % CATEGORIES.length],
    consumer_category: "publicexposure",
    sensitive_source: position % 5 === 0,
    tlp: "amber",
    combo_list_flag: position % 2 === 0 ? "YES" : "NO",
    assets: { email: 1000, password: 900, target_url: 200 }
  }
}
