import Foundation
import Transformer

/// What one answer cost.
public struct ChatReplyStats: Sendable {
    public var promptTokens = 0
    /// Prompt tokens evaluated for this turn; the rest were already in the KV cache.
    public var evaluatedPromptTokens = 0
    public var promptSeconds: Double = 0
    public var generatedTokens = 0
    public var generationSeconds: Double = 0
    /// From the message being sent to the first piece of answer text (prompt evaluation included).
    public var firstTextSeconds: Double?
    public var finishReason = FinishReason.length
    /// Oldest turns dropped to make room for this one.
    public var droppedTurns = 0

    public var generationTokensPerSecond: Double { generationSeconds > 0 ? Double(generatedTokens) / generationSeconds : 0 }
}

/// A chat over one session: the KV cache persists across turns, so each turn evaluates only the tokens that
/// follow the longest prefix already in the cache (the new user message, after the first turn).
public final class ChatEngine {
    public private(set) var conversation: ChatConversation
    public let session: Session
    public let template: ChatTemplate
    let tokenizer: any Tokenizer
    public var sampling: SamplingParameters
    /// Most tokens of one answer.
    public let maxAnswerTokens: Int
    /// Room kept free for the answer when the history is trimmed.
    public var answerReserve: Int { min(maxAnswerTokens, session.contextSize / 4) }
    public private(set) var lastReply: ChatReplyStats?

    public init(runtime: ModelRuntime, session: Session, template: ChatTemplate, conversation: ChatConversation,
                sampling: SamplingParameters = .greedy, maxAnswerTokens: Int = 1024) {
        self.conversation = conversation
        self.session = session
        self.template = template
        self.tokenizer = runtime.tokenizer
        self.sampling = sampling
        self.maxAnswerTokens = max(1, maxAnswerTokens)
    }

    /// Tokens of the prompt for `messages`, ending where the assistant's answer begins.
    func tokens(_ messages: [ChatMessage]) -> [Int32] {
        tokenizer.encode(template.prompt(messages), addBOS: true)
    }

    /// Checks that the system prompt and article leave room for a conversation, before the first message.
    public func checkRoom() throws(ChatError) {
        let pinned = tokens(conversation.messages(pendingUser: "")).count
        let budget = session.contextSize - answerReserve
        if pinned + 64 > budget { throw .doesNotFit(tokens: pinned + 64, budget: budget) }
    }

    /// Answers `user`, streaming the text to `onText`. `shouldStop` is checked after every prompt batch and
    /// every token; when it returns true the answer is abandoned and the conversation is left as it was.
    public func respond(_ user: String, shouldStop: () -> Bool = { false }, onText: (String) -> Void) throws -> ChatReplyStats {
        let start = Date()
        var reply = ChatReplyStats()
        reply.droppedTurns = try conversation.fit(pendingUser: user, budget: session.contextSize - answerReserve) { tokens($0).count }
        let prompt = tokens(conversation.messages(pendingUser: user))
        let generator = TextGenerator(session: session, tokenizer: tokenizer)
        let options = GenerationOptions(maxTokens: min(maxAnswerTokens, session.contextSize - prompt.count), sampling: sampling, loopWindow: 24)
        let (text, stats) = try generator.generate(prompt: prompt, options: options,
            onPromptProgress: { _, _ in !shouldStop() },
            onText: { piece in
                if reply.firstTextSeconds == nil { reply.firstTextSeconds = Date().timeIntervalSince(start) }
                onText(piece)
                return !shouldStop()
            })
        reply.promptTokens = stats.promptTokens
        reply.evaluatedPromptTokens = stats.evaluatedPromptTokens
        reply.promptSeconds = stats.promptSeconds
        reply.generatedTokens = stats.generatedTokens
        reply.generationSeconds = stats.generationSeconds
        reply.finishReason = stats.finishReason
        if stats.finishReason != .cancelled {
            conversation.append(ChatTurn(user: user, assistant: text))
        }
        lastReply = reply
        return reply
    }

    /// Carries out a command; returns the text to show and whether to quit.
    public func perform(_ command: ChatCommand) -> (message: String, quit: Bool) {
        switch command {
        case .help: return (ChatCommand.helpText, false)
        case .reset:
            conversation.reset()
            return ("conversation cleared", false)
        case .system(let text):
            conversation.setSystemPrompt(text)
            return (text.isEmpty ? "system prompt: the model's default" : "system prompt set", false)
        case .stats: return (statsDescription, false)
        case .bye: return ("", true)
        case .unknown(let text): return ("unknown command \(text); /help lists the commands", false)
        }
    }

    public var statsDescription: String {
        var lines = [
            "context: \(session.tokens.count)/\(session.contextSize) tokens in the cache; turns: \(conversation.turns.count) kept, \(conversation.droppedTurnCount) dropped",
        ]
        if let last = lastReply {
            lines.append(String(format: "last answer: %d of %d prompt tokens evaluated in %.2f s (the rest from the cache), first text after %@, %d tokens at %.1f t/s (%@)",
                                last.evaluatedPromptTokens, last.promptTokens, last.promptSeconds,
                                last.firstTextSeconds.map { String(format: "%.2f s", $0) } ?? "-",
                                last.generatedTokens, last.generationTokensPerSecond, last.finishReason.rawValue))
        }
        return lines.joined(separator: "\n")
    }
}
