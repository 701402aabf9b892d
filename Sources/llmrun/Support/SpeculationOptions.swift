import ArgumentParser
import Transformer

/// Speculative decoding for the commands that generate text (`Speculation`): off unless asked for, because on
/// two cores a verifying pass of several tokens costs several single-token passes and neither way of drafting
/// has measured faster (BENCHMARKS.md).
struct SpeculationOptions: ParsableArguments {
    @Flag(help: "Speculative decoding by prompt lookup: drafts copied from the prompt, verified several per pass; the same output (in distribution with --temp).")
    var lookup = false

    @Option(help: "Speculative decoding with a draft model (catalog name or .gguf) of the same vocabulary, e.g. qwen2.5-0.5b for qwen2.5-1.5b; the same output (in distribution with --temp).")
    var draft: String?

    @Option(name: [.customLong("max-draft"), .customLong("draft-max")], help: "With --lookup or --draft: draft tokens verified at most per pass.")
    var maxDraft = 8

    func validate() throws {
        guard (1...Session.defaultDraftCapacity).contains(maxDraft) else {
            throw ValidationError("--max-draft must be 1...\(Session.defaultDraftCapacity)")
        }
    }

    /// The drafting asked for, decoding with `runtime` on `session`; a draft model is loaded and its vocabulary checked.
    func speculation(target runtime: ModelRuntime, session: Session) throws -> Speculation {
        // Here rather than in validate(), which would add the usage to the one line.
        if lookup && draft != nil { throw InputError("--lookup and --draft are two ways of drafting: give one of them") }
        if lookup { return .promptLookup(maxDraft: maxDraft) }
        guard let draft else { return .none }
        let draftRuntime = try ModelRuntime(path: try resolveModelPath(draft))
        return .draftModel(try DraftModel(runtime: draftRuntime, target: runtime, targetSession: session), maxDraft: maxDraft)
    }

    /// The `-v` line on how drafting went; nil when nothing was drafted for.
    func acceptance(_ stats: GenerationStats) -> String? {
        guard lookup || draft != nil else { return nil }
        return String(format: "%@: %d of %d draft tokens accepted (%.0f%%) in %d verifying passes | effective %.1f t/s",
                      lookup ? "lookup" : "draft", stats.acceptedDraftTokens, stats.draftedTokens, 100 * stats.draftAcceptanceRate,
                      stats.verificationSteps, stats.generationTokensPerSecond)
    }
}
