/**
 * The GraphQL documents the connector sends to OpenCTI, exactly as pycti 6.8 sends them (docs/opencti-protocol.md,
 * "GraphQL documents"). They are the interface with the platform: a test validates each one against the assembled
 * 6.8.10, 6.9.17 and 7.260817.0 schemas, and another that they are byte-for-byte the documents of that section, so
 * change both together. The 6.8 selections are used on purpose: the 6.9/7.x variants (`s3`, `jwks`) fail on older
 * platforms.
 */

/** Op 01: health check; `about` carries `@auth`, so a bad token fails here too. */
export const HEALTH_CHECK = `query healthCheck {
  about {
    version
  }
}`

/** Op 02: registration, 6.8 baseline selection. */
export const REGISTER_CONNECTOR = `mutation RegisterConnector($input: RegisterConnectorInput) {
  registerConnector(input: $input) {
    id
    connector_state
    config {
      connection {
        host
        vhost
        use_ssl
        port
        user
        pass
      }
      listen
      listen_routing
      listen_exchange
      push
      push_routing
      push_exchange
    }
    connector_user_id
  }
}`

/** Op 05: ping, which is also the only way state reaches the platform. */
export const PING_CONNECTOR = `mutation PingConnector($id: ID!, $state: String, $connectorInfo: ConnectorInfoInput) {
  pingConnector(id: $id, state: $state, connectorInfo: $connectorInfo) {
    id
    connector_state
    connector_info {
      run_and_terminate
      buffering
      queue_threshold
      queue_messages_size
      next_run_datetime
      last_run_datetime
    }
  }
}`

/** Op 06: the connector with its push-queue size (bytes), for the queue threshold. Needs `MODULES`. */
export const GET_CONNECTOR = `query GetConnector($id: String!) {
  connector(id: $id) {
    id
    name
    active
    auto
    only_contextual
    connector_type
    connector_scope
    connector_state
    connector_queue_details {
      messages_number
      messages_size
    }
    updated_at
    created_at
    config {
      listen
      listen_exchange
      push
      push_exchange
      push_routing
    }
    built_in
  }
}`

/** Op 07: opens a work. */
export const WORK_ADD = `mutation workAdd($connectorId: String!, $friendlyName: String) {
  workAdd(connectorId: $connectorId, friendlyName: $friendlyName) {
    id
  }
}`

/** Op 10: closes a work, in error or not. */
export const WORK_TO_PROCESSED = `mutation workToProcessed($id: ID!, $message: String, $inError: Boolean) {
  workEdit(id: $id) {
    toProcessed(message: $message, inError: $inError)
  }
}`

/** Op 14: announces how many messages the worker will report for a work, before they are published. */
export const ADD_EXPECTATIONS = `mutation addExpectations($id: ID!, $expectations: Int) {
  workEdit(id: $id) {
    addExpectations(expectations: $expectations)
  }
}`

/** Op 19: sends a whole bundle through the API (queue protocol `api`). */
export const STIX_BUNDLE_PUSH = `mutation StixBundlePush($connectorId: String!, $bundle: String!, $work_id: String) {
  stixBundlePush(connectorId: $connectorId, bundle: $bundle, work_id: $work_id)
}`

/**
 * Op 21: which fields this platform's `RegisterConnectorInput` has (7.x adds `version` and `slug`), asked
 * once per start before registering, as pycti 7 does; `__type` is valid on every version.
 */
export const API_COMPATIBILITY = `query ApiCompatibility {
  about {
    version
  }
  registerConnectorInput: __type(name: "RegisterConnectorInput") {
    inputFields {
      name
    }
  }
}`

/** Every document, keyed by its number in docs/opencti-protocol.md, "GraphQL documents" (`### Op NN`). */
export const DOCUMENTS = {
  "01": HEALTH_CHECK,
  "02": REGISTER_CONNECTOR,
  "05": PING_CONNECTOR,
  "06": GET_CONNECTOR,
  "07": WORK_ADD,
  "10": WORK_TO_PROCESSED,
  "14": ADD_EXPECTATIONS,
  "19": STIX_BUNDLE_PUSH,
  "21": API_COMPATIBILITY
} as const
