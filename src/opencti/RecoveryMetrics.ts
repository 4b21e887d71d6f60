/**
 * How often the OpenCTI side recovered in place, as Prometheus counters beside pycti's: RabbitMQ
 * reconnections, messages re-sent after one, and OpenCTI API calls retried while the platform was
 * unreachable.
 */
import { Metric } from "effect"

export const rabbitmqReconnections = Metric.counter("spycloud_rabbitmq_reconnections_total", {
  description: "RabbitMQ connections re-established after the previous one was lost",
  incremental: true
})

export const messagesResent = Metric.counter("spycloud_rabbitmq_messages_resent_total", {
  description: "Queue messages published again because the broker had not confirmed them when the connection was lost",
  incremental: true
})

const apiRetries = Metric.counter("spycloud_opencti_retries_total", {
  description: "OpenCTI API calls retried because the platform was unreachable, by operation",
  incremental: true
})

export const apiRetry = (operation: string) => Metric.tagged(apiRetries, "operation", operation)
