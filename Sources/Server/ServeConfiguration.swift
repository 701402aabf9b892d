import Foundation
import Transformer

/// Everything `llmrun serve` is started with (named apart from HummingbirdCore's ServerConfiguration).
public struct ServeConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// The GGUF file to serve.
    public var modelPath: String
    /// The name clients send as `model` and `/v1/models` lists.
    public var modelID: String
    /// The chat template's name (`ChatTemplate.names`); nil: the template the GGUF declares.
    public var template: String?
    /// Tokens per slot; nil: the model's default.
    public var contextSize: Int?
    /// Compute threads, shared among the slots.
    public var threads: Int
    /// Requests generating at once, each in its own slot (KV cache).
    public var parallel = 1
    /// Draft tokens by prompt lookup a generation verifies at most per decode step (`--lookup`); 0 drafts nothing.
    public var lookupDraft = 0
    /// Requests that may wait for a slot; more get 503.
    public var maxQueued = 64
    /// Largest request body, in bytes (413 above).
    public var maxBodyBytes = 4 << 20
    /// From arrival to the last token, queueing included; generation that reaches it stops with finish_reason "length".
    public var requestTimeout: Duration = .seconds(300)
    /// After SIGTERM or SIGINT, how long requests in flight may run before they are stopped with an error.
    public var drainTime: Duration = .seconds(20)
    /// When set, every endpoint but /health requires `Authorization: Bearer <apiKey>`.
    public var apiKey: String?

    public init(modelPath: String, modelID: String, threads: Int) {
        self.modelPath = modelPath
        self.modelID = modelID
        self.threads = threads
    }
}
