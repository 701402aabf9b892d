import Foundation
import Prometheus
import Transformer

/// What `GET /metrics` reports, in Prometheus text format. Names are `llmrun_<metric>_<unit>`.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let promptTokens: Counter
    /// Prompt tokens taken from a slot's cache instead of being evaluated.
    let cachedPromptTokens: Counter
    let generatedTokens: Counter
    let promptSeconds: Counter
    let generationSeconds: Counter
    /// Speculative decoding (`llmrun serve --lookup`): draft tokens proposed, the ones accepted, verifying steps.
    let draftedTokens: Counter
    let acceptedDraftTokens: Counter
    let verificationSteps: Counter
    /// Requests holding a slot (generating).
    let requestsInFlight: Gauge
    /// Requests waiting for a slot.
    let requestsQueued: Gauge
    let timeToFirstToken: DurationHistogram

    init() {
        func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "llmrun", metricName: metric, unitName: unit, helpText: help)
        }
        promptTokens = registry.makeCounter(descriptor: name("prompt_tokens", "total", "Prompt tokens of finished generations"))
        cachedPromptTokens = registry.makeCounter(descriptor: name("prompt_tokens_cached", "total", "Prompt tokens reused from a slot's KV cache"))
        generatedTokens = registry.makeCounter(descriptor: name("generated_tokens", "total", "Tokens generated"))
        promptSeconds = registry.makeCounter(descriptor: name("prompt_seconds", "total", "Seconds spent evaluating prompts"))
        generationSeconds = registry.makeCounter(descriptor: name("generation_seconds", "total", "Seconds spent generating tokens"))
        draftedTokens = registry.makeCounter(descriptor: name("draft_tokens", "total", "Draft tokens proposed by prompt lookup"))
        acceptedDraftTokens = registry.makeCounter(descriptor: name("draft_tokens_accepted", "total", "Draft tokens the model accepted"))
        verificationSteps = registry.makeCounter(descriptor: name("draft_verifications", "total", "Decode steps that verified a draft"))
        requestsInFlight = registry.makeGauge(descriptor: name("requests_in_flight", "", "Requests holding a slot"))
        requestsQueued = registry.makeGauge(descriptor: name("requests_queued", "", "Requests waiting for a slot"))
        timeToFirstToken = registry.makeDurationHistogram(
            descriptor: name("time_to_first_token", "seconds", "From a request's arrival to its first generated text"),
            buckets: [.milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2),
                      .seconds(5), .seconds(10), .seconds(30), .seconds(60)])
    }

    func record(_ stats: GenerationStats) {
        promptTokens.increment(by: Int64(stats.promptTokens))
        cachedPromptTokens.increment(by: Int64(stats.promptTokens - stats.evaluatedPromptTokens))
        generatedTokens.increment(by: Int64(stats.generatedTokens))
        promptSeconds.increment(by: stats.promptSeconds)
        generationSeconds.increment(by: stats.generationSeconds)
        draftedTokens.increment(by: Int64(stats.draftedTokens))
        acceptedDraftTokens.increment(by: Int64(stats.acceptedDraftTokens))
        verificationSteps.increment(by: Int64(stats.verificationSteps))
    }

    /// Counts a finished HTTP request by route (the matched pattern, so the label set stays bounded) and status.
    func countRequest(route: String, status: Int) {
        registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "llmrun", metricName: "requests", unitName: "total",
                                                              helpText: "HTTP requests by route and status"),
                             labels: [("route", route), ("status", String(status))]).increment()
    }

    var text: String { registry.emitToString() }
}
