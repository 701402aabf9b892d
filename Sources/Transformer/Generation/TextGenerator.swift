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

    public init(maxTokens: Int = 256, sampling: SamplingParameters = .greedy, stopStrings: [String] = [], loopWindow: Int = 0) {
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.stopStrings = stopStrings.filter { !$0.isEmpty }
        self.loopWindow = loopWindow
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
        let promptStart = Date()
        let completed = try session.evaluate(prompt, progress: onPromptProgress)
        stats.promptSeconds = Date().timeIntervalSince(promptStart)
        guard completed else {
            stats.finishReason = .cancelled
            return ("", stats)
        }

        var sampler = Sampler(options.sampling)
        var detokenizer = StreamingDetokenizer(tokenizer: tokenizer)
        var output = ""
        var held = ""  // decoded text not yet passed to onText
        var generated: [Int32] = []
        let longestStop = options.stopStrings.map(\.count).max() ?? 0
        let generationStart = Date()

        /// Passes on `text`; false when the caller cancels.
        func emit(_ text: String) -> Bool {
            guard !text.isEmpty else { return true }
            output += text
            return onText(text)
        }

        while true {
            if generated.count >= options.maxTokens {
                stats.finishReason = .length
                break
            }
            if session.tokens.count >= session.contextSize {
                stats.finishReason = .contextFull
                break
            }
            let token = sampler.sample(session.lastLogits, history: session.tokens[...])
            if tokenizer.isEndOfGeneration(token) {
                stats.finishReason = .endOfGeneration
                break
            }
            generated.append(token)
            stats.generatedTokens = generated.count
            held += detokenizer.append(token)
            if let range = options.stopStrings.compactMap({ held.range(of: $0) }).min(by: { $0.lowerBound < $1.lowerBound }) {
                _ = emit(String(held[..<range.lowerBound]))
                held = ""
                stats.finishReason = .stopString
                break
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
            if !emit(ready) {
                stats.finishReason = .cancelled
                break
            }
            if options.loopWindow > 0, Self.endsInLoop(generated, window: options.loopWindow) {
                stats.finishReason = .repetition
                break
            }
            try session.append(token)
        }
        if stats.finishReason != .stopString && stats.finishReason != .cancelled {
            // What the detokenizer still holds is the start of a character the token budget (or the end of
            // generation) cut off: it is dropped, not sent as U+FFFD.
            _ = emit(held)
        }
        stats.generationSeconds = Date().timeIntervalSince(generationStart)
        return (output, stats)
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
