import Foundation

/// How a generation ended.
public enum FinishReason: String, Sendable, Encodable {
    /// An end-of-generation token (EOS, EOT, `<|im_end|>`, ...).
    case endOfGeneration = "stop"
    /// A user stop string appeared in the text.
    case stopString = "stop_string"
    /// The token budget was used up.
    case length
    /// The context is full.
    case contextFull = "context_full"
    /// The caller stopped it.
    case cancelled
    /// The loop detector saw the same n-gram repeat.
    case repetition
}

public struct GenerationOptions: Sendable {
    public var maxTokens = 256
    public var sampling = SamplingParameters.greedy
    public var stopStrings: [String] = []
    /// Stop when the last `loopWindow` tokens repeat a span seen just before (degenerate loops of small models). 0 disables.
    public var loopWindow = 0
    /// Speculative decoding (see `Speculation`).
    public var speculation = Speculation.none

    public init(maxTokens: Int = 256, sampling: SamplingParameters = .greedy, stopStrings: [String] = [], loopWindow: Int = 0,
                speculation: Speculation = .none) {
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.stopStrings = stopStrings.filter { !$0.isEmpty }
        self.loopWindow = loopWindow
        self.speculation = speculation
    }

    /// A model's reply to a chat prompt of `promptTokens` tokens: at most `maxTokens`, never past the context,
    /// loops stopped (small models fall into them on long articles).
    public static func reply(atMost maxTokens: Int, promptTokens: Int, contextSize: Int, sampling: SamplingParameters = .greedy,
                             stopStrings: [String] = []) -> GenerationOptions {
        GenerationOptions(maxTokens: min(maxTokens, contextSize - promptTokens), sampling: sampling, stopStrings: stopStrings, loopWindow: 24)
    }
}

public struct GenerationStats: Sendable, Encodable {
    public var promptTokens = 0
    /// Prompt tokens actually evaluated (the rest came from the cache).
    public var evaluatedPromptTokens = 0
    public var promptSeconds: Double = 0
    public var generatedTokens = 0
    public var generationSeconds: Double = 0
    public var finishReason = FinishReason.length
    /// Speculative decoding: draft tokens proposed, the ones the model confirmed, and the forward calls that
    /// verified a draft.
    public var draftedTokens = 0
    public var acceptedDraftTokens = 0
    public var verificationSteps = 0

    /// The share of draft tokens the model confirmed (0 without drafts).
    public var draftAcceptanceRate: Double { draftedTokens > 0 ? Double(acceptedDraftTokens) / Double(draftedTokens) : 0 }
    public var promptTokensPerSecond: Double { promptSeconds > 0 ? Double(evaluatedPromptTokens) / promptSeconds : 0 }
    public var generationTokensPerSecond: Double { generationSeconds > 0 ? Double(generatedTokens) / generationSeconds : 0 }
}

/// Drives a session from a prompt to text: evaluates the prompt, samples, streams UTF-8-safe text,
/// and stops at end-of-generation tokens, stop strings (matched on decoded text, even across tokens;
/// text that could begin a stop string is held back), the token budget or the context's end.
public struct TextGenerator {
    public let session: Session
    public let tokenizer: any Tokenizer

    public init(session: Session, tokenizer: any Tokenizer) {
        self.session = session
        self.tokenizer = tokenizer
    }

    /// - Parameters:
    ///   - onPromptProgress: (evaluated, total) after each prompt batch; false cancels.
    ///   - onText: each piece of finished text; false cancels.
    /// - Returns: the generated text (without a matched stop string) and statistics.
    public func generate(prompt: [Int32], options: GenerationOptions,
                         onPromptProgress: (Int, Int) -> Bool = { _, _ in true },
                         onText: (String) -> Bool = { _ in true }) throws(GenerationError) -> (text: String, stats: GenerationStats) {
        var stats = GenerationStats()
        stats.promptTokens = prompt.count
        let reused = zip(session.tokens, prompt).prefix { $0 == $1 }.count
        stats.evaluatedPromptTokens = prompt.count - min(reused, prompt.count - 1)
        let speculator = Speculator(options.speculation, sampling: options.sampling, session: session)
        let promptStart = Date()
        let completed = try session.evaluate(prompt, progress: onPromptProgress)
        if completed { try speculator?.prepare(for: prompt) }
        stats.promptSeconds = Date().timeIntervalSince(promptStart)
        guard completed else {
            stats.finishReason = .cancelled
            return ("", stats)
        }

        var sampler = Sampler(options.sampling)
        var output = GeneratedOutput(options: options, tokenizer: tokenizer, promptCount: prompt.count, contextSize: session.contextSize)
        var text = ""
        let generationStart = Date()
        // Speculation: the prompt and the output so far (what the drafter continues), the tokens a verification
        // decided that are not yet output (accepted draft tokens, already in the cache, and perhaps the model's
        // own token after them), and how many generated tokens plain decoding would have put in the cache (the
        // session is cut back to that at the end).
        var sequence = speculator == nil ? [] : prompt
        var decided: ArraySlice<Int32> = []
        var fed = 0

        /// Passes on `piece`; false when the caller cancels.
        func emit(_ piece: String) -> Bool {
            guard !piece.isEmpty else { return true }
            text += piece
            return onText(piece)
        }

        while output.hasRoom() {
            let token = decided.popFirst() ?? sampler.sample(session.lastLogits, history: session.tokens[...])
            if !emit(output.take(token)) && output.finishReason != .stopString {
                output.finishReason = .cancelled
            }
            if output.finishReason != nil { break }
            fed += 1
            let generated = output.tokens
            if session.tokens.count >= prompt.count + generated.count {
                continue  // an accepted draft token: already in the cache
            }
            guard let speculator else {
                try session.append(token)
                continue
            }
            sequence.append(contentsOf: generated[(sequence.count - prompt.count)...])
            let limit = min(options.maxTokens - generated.count, session.contextSize - session.tokens.count - 1)
            decided = try speculator.decode(token, sequence: sequence[...], limit: limit, session: session, sampler: &sampler, stats: &stats)[...]
        }
        // The cache holds what plain decoding would have left in it: no accepted draft tokens beyond the output.
        if session.tokens.count > prompt.count + fed {
            session.truncate(to: prompt.count + fed)
        }
        _ = emit(output.remainder())
        stats.generatedTokens = output.tokens.count
        stats.finishReason = output.finishReason ?? .length
        stats.generationSeconds = Date().timeIntervalSince(generationStart)
        return (text, stats)
    }

    /// True when the last `window` tokens equal the `window` tokens before them, or the tail is one
    /// short span repeated many times.
    static func endsInLoop(_ tokens: [Int32], window: Int) -> Bool {
        for period in 1...window where tokens.count >= period * max(3, (2 * window) / period) {
            let repeats = max(3, (2 * window) / period)
            let tail = tokens.suffix(period)
            var matches = true
            for r in 1..<repeats where !tokens.dropLast(period * r).suffix(period).elementsEqual(tail) {
                matches = false
                break
            }
            if matches { return true }
        }
        return false
    }
}

/// One sequence's output as it is generated: its tokens, the text ready to pass on, and whether generation
/// ends — at an end-of-generation token, a stop string (matched on decoded text, even across tokens; text
/// that could begin a stop string is held back), a loop, the token budget or the context's end.
/// `TextGenerator` and `BatchGenerator` drive it the same way: `hasRoom()`, sample, `take(token)`.
struct GeneratedOutput {
    let options: GenerationOptions
    let promptCount: Int
    let contextSize: Int
    private(set) var tokens: [Int32] = []
    /// Set when generation ends; the driver sets `.cancelled` when its caller stops it.
    var finishReason: FinishReason?
    private var detokenizer: StreamingDetokenizer
    /// Decoded text not yet passed on.
    private var held = ""
    private let longestStop: Int

    init(options: GenerationOptions, tokenizer: any Tokenizer, promptCount: Int, contextSize: Int) {
        self.options = options
        self.promptCount = promptCount
        self.contextSize = contextSize
        detokenizer = StreamingDetokenizer(tokenizer: tokenizer)
        longestStop = options.stopStrings.map(\.count).max() ?? 0
    }

    /// Whether another token may be generated; when the budget or the context is used up, false with the reason set.
    mutating func hasRoom() -> Bool {
        if finishReason != nil { return false }
        if tokens.count >= options.maxTokens {
            finishReason = .length
        } else if promptCount + tokens.count >= contextSize {
            finishReason = .contextFull
        }
        return finishReason == nil
    }

    /// Takes the token the model picked and returns the text now ready to pass on. Sets `finishReason` when the
    /// token ends generation: an end-of-generation token (not taken), a stop string (the text before it is
    /// returned) or a loop.
    mutating func take(_ token: Int32) -> String {
        if detokenizer.tokenizer.isEndOfGeneration(token) {
            finishReason = .endOfGeneration
            return ""
        }
        tokens.append(token)
        held += detokenizer.append(token)
        if let range = options.stopStrings.compactMap({ held.range(of: $0) }).min(by: { $0.lowerBound < $1.lowerBound }) {
            let ready = String(held[..<range.lowerBound])
            held = ""
            finishReason = .stopString
            return ready
        }
        // Hold back the longest tail of the text that could still grow into a stop string.
        var keep = 0
        if longestStop > 0 {
            for length in stride(from: min(longestStop - 1, held.count), to: 0, by: -1) {
                let tail = held.suffix(length)
                if options.stopStrings.contains(where: { $0.hasPrefix(tail) }) {
                    keep = length
                    break
                }
            }
        }
        let ready = String(held.dropLast(keep))
        held = String(held.suffix(keep))
        if options.loopWindow > 0, TextGenerator.endsInLoop(tokens, window: options.loopWindow) {
            finishReason = .repetition
        }
        return ready
    }

    /// The text still held when generation has ended: passed on unless a stop string or the caller ended it.
    /// (What the detokenizer still holds is the start of a character the budget or the end of generation cut
    /// off: it is dropped, not sent as U+FFFD.)
    mutating func remainder() -> String {
        defer { held = "" }
        return finishReason == .stopString || finishReason == .cancelled ? "" : held
    }
}
