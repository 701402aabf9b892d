import ArgumentParser

@main
struct LLMRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llmrun",
        abstract: "Run small language models on this machine's CPU, privately.",
        version: "0.1.0",
        subcommands: [Summarize.self, Ask.self, Chat.self, Generate.self, Serve.self, Bench.self, PerplexityCommand.self, Tokenize.self, Pull.self, List.self, Info.self]
    )
}
