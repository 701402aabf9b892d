import ArgumentParser
import Foundation
import Logging
import Server
import Transformer

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a model over an OpenAI-compatible HTTP API (chat, completions, summarize, tokenize, metrics).")

    @OptionGroup var model: ModelOptions
    @OptionGroup var runtime: RuntimeOptions

    @Option(help: "Address to bind; loopback unless you mean to share the model.")
    var host = "127.0.0.1"

    @Option(help: "TCP port.")
    var port = 8080

    @Option(help: "Requests generating at once, each with its own KV cache of -c tokens, decoded together (one read of the weights per step for all).")
    var parallel = 1

    @OptionGroup var speculation: SpeculationOptions

    @Option(help: "Requests that may wait for a slot; more are refused with 503.")
    var queue = 64

    @Option(help: "Seconds from a request's arrival to its last token, queueing included.")
    var timeout = 300

    @Option(name: .customLong("drain-seconds"), help: "On SIGTERM or SIGINT, seconds that requests in flight may take to finish (new ones get 503) before they are stopped with an error.")
    var drainSeconds = 20

    @Option(name: .customLong("max-body"), help: "Largest request body, in bytes.")
    var maxBody = 4 << 20

    @Option(name: .customLong("api-key"), help: "Require `Authorization: Bearer KEY` on every endpoint but /health (default: $LLMRUN_API_KEY).")
    var apiKey: String?

    @Option(help: "Chat template override: \(ChatTemplate.names.joined(separator: ", ")).")
    var template: String?

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be between 1 and 65535") }
        guard (1...64).contains(parallel) else { throw ValidationError("--parallel must be between 1 and 64") }
        guard speculation.draft == nil else {
            throw ValidationError("the server decodes its requests together, and there drafts by --lookup only, not by a draft model")
        }
        guard queue >= 0, timeout > 0, maxBody > 0 else { throw ValidationError("--queue must be 0 or more; --timeout and --max-body positive") }
        guard (0...86_400).contains(drainSeconds) else { throw ValidationError("--drain-seconds must be between 0 and 86400") }
        // Before the server starts listening; the model's own template is checked when it loads.
        if let template, ChatTemplate.named(template) == nil { throw ChatTemplateError.unknownName(template) }
    }

    func run() async throws {
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        let path = try model.resolvePath()
        var settings = ServeConfiguration(modelPath: path, modelID: Self.modelID(argument: model.model, path: path), threads: runtime.threadCount)
        settings.host = host
        settings.port = port
        settings.parallel = parallel
        settings.lookupDraft = speculation.lookup ? speculation.maxDraft : 0
        settings.maxQueued = queue
        settings.requestTimeout = .seconds(timeout)
        settings.drainTime = .seconds(drainSeconds)
        settings.maxBodyBytes = maxBody
        settings.contextSize = runtime.contextSize
        settings.apiKey = apiKey ?? ProcessInfo.processInfo.environment["LLMRUN_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        settings.template = template
        try await LLMServer(configuration: settings, logger: Logger(label: "llmrun")).run()
    }

    /// The catalog name when one was given, else the file name without `.gguf`.
    static func modelID(argument: String?, path: String) -> String {
        if let argument, !argument.contains("/"), !argument.hasSuffix(".gguf") { return argument }
        return URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
    }
}
