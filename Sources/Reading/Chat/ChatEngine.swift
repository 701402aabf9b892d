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
    /// Speculative decoding: draft tokens proposed and the ones the model confirmed.
    public var draftedTokens = 0
    public var acceptedDraftTokens = 0
    /// Oldest turns dropped to make room for this one.
    public var droppedTurns = 0
    /// In a chat about articles: the answer with its citations (nil when it was stopped).
    public var answer: AnswerReport?

    public var generationTokensPerSecond: Double { generationSeconds > 0 ? Double(generatedTokens) / generationSeconds : 0 }

    mutating func record(_ stats: GenerationStats) {
        promptTokens = stats.promptTokens
        evaluatedPromptTokens = stats.evaluatedPromptTokens
        promptSeconds = stats.promptSeconds
        generatedTokens = stats.generatedTokens
        generationSeconds = stats.generationSeconds
        finishReason = stats.finishReason
        draftedTokens = stats.draftedTokens
        acceptedDraftTokens = stats.acceptedDraftTokens
    }
}

/// A chat over one session: the KV cache persists across turns, so each turn evaluates only the tokens that
/// follow the longest prefix already in the cache (the new user message, after the first turn).
///
/// With `grounding`, a chat about articles: each message is answered by the `QuestionAnswerer` as `ask`
/// answers (the same prompt, cleaning and checked `[S#]` citations), from passages retrieved again for
/// each message with the conversation in mind, the earlier turns shown to the model before the excerpts.
public final class ChatEngine {
    public private(set) var conversation: ChatConversation
    public let session: Session
    public let template: ChatTemplate
    /// The articles' answerer, in a chat about articles.
    public let grounding: QuestionAnswerer?
    let tokenizer: any Tokenizer
    public var sampling: SamplingParameters
    /// Speculative decoding of free answers (a chat about articles drafts as its `grounding` does).
    public var speculation = Speculation.none
    /// Most tokens of one answer.
    public let maxAnswerTokens: Int
    /// Room kept free for the answer when the history is trimmed.
    public var answerReserve: Int { grounding?.answerTokens ?? min(maxAnswerTokens, session.contextSize / 4) }
    public private(set) var lastReply: ChatReplyStats?
    /// The last complete answer in a chat about articles: what `/sources` shows.
    public private(set) var lastAnswer: AnswerReport?

    public init(runtime: ModelRuntime, session: Session, template: ChatTemplate, conversation: ChatConversation,
                sampling: SamplingParameters = .greedy, maxAnswerTokens: Int = 1024, grounding: QuestionAnswerer? = nil) {
        self.conversation = conversation
        self.session = session
        self.template = template
        self.grounding = grounding
        self.tokenizer = runtime.tokenizer
        self.sampling = sampling
        self.maxAnswerTokens = max(1, maxAnswerTokens)
    }

    /// Tokens of the prompt for `messages`, ending where the assistant's answer begins.
    func tokens(_ messages: [ChatMessage]) -> [Int32] {
        template.tokens(messages, tokenizer: tokenizer)
    }

    /// Checks that the system prompt (or, about articles, the passages) leaves room for a conversation,
    /// before the first message.
    public func checkRoom() throws(ChatError) {
        if let grounding {
            if session.contextSize < grounding.minimumContextSize {
                throw .contextTooSmall(contextSize: session.contextSize, needed: grounding.minimumContextSize)
            }
            return
        }
        let pinned = tokens(conversation.messages(pendingUser: "")).count
        let budget = session.contextSize - answerReserve
        if pinned + 64 > budget { throw .doesNotFit(tokens: pinned + 64, budget: budget) }
    }

    /// Answers `user`, streaming the text to `onText`. `shouldStop` is checked after every prompt batch and
    /// every token; when it returns true the answer is abandoned and the conversation is left as it was.
    public func respond(_ user: String, shouldStop: () -> Bool = { false }, onText: (String) -> Void) throws -> ChatReplyStats {
        if let grounding { return try respond(user, from: grounding, shouldStop: shouldStop, onText: onText) }
        let start = Date()
        var reply = ChatReplyStats()
        reply.droppedTurns = try conversation.fit(budget: session.contextSize - answerReserve) { tokens($0.messages(pendingUser: user)).count }
        let prompt = tokens(conversation.messages(pendingUser: user))
        let generator = TextGenerator(session: session, tokenizer: tokenizer)
        var options = GenerationOptions.reply(atMost: maxAnswerTokens, promptTokens: prompt.count, contextSize: session.contextSize, sampling: sampling)
        options.speculation = speculation
        let (text, stats) = try generator.generate(prompt: prompt, options: options,
            onPromptProgress: { _, _ in !shouldStop() },
            onText: { piece in
                if reply.firstTextSeconds == nil { reply.firstTextSeconds = Date().timeIntervalSince(start) }
                onText(piece)
                return !shouldStop()
            })
        reply.record(stats)
        if stats.finishReason != .cancelled {
            conversation.append(ChatTurn(user: user, assistant: text))
        }
        lastReply = reply
        return reply
    }

    /// A message in a chat about articles: retrieval with the conversation in mind, then the grounded
    /// answer, the history trimmed to fit beside the passages. The turn keeps the cleaned answer (no
    /// markers: the numbers are the articles', shown again with each turn's excerpts).
    func respond(_ user: String, from grounding: QuestionAnswerer, shouldStop: () -> Bool, onText: (String) -> Void) throws -> ChatReplyStats {
        let start = Date()
        var reply = ChatReplyStats()
        let found = try grounding.retrieve(user, after: conversation.turns)
        var answer: Answer
        if found.passages.isEmpty {
            answer = QuestionAnswerer.notAnswered(user)
            onText(answer.text)
            reply.finishReason = .endOfGeneration
        } else {
            reply.droppedTurns = try conversation.fit(budget: session.contextSize - answerReserve) {
                grounding.promptLength(question: user, translated: found.translation, passages: found.passages, history: $0.turns)
            }
            answer = try grounding.answer(user, translated: found.translation, passages: found.passages, history: conversation.turns,
                                          shouldStop: shouldStop, onText: { piece in
                if reply.firstTextSeconds == nil { reply.firstTextSeconds = Date().timeIntervalSince(start) }
                onText(piece)
                return true
            })
            answer.translatedQuestion = found.translation
            answer.seconds = Date().timeIntervalSince(start)
            if let stats = answer.generation { reply.record(stats) }
        }
        if reply.finishReason != .cancelled {
            let report = AnswerReport(answer, question: user, retriever: grounding.retriever)
            conversation.append(ChatTurn(user: user, assistant: answer.text, citedSentences: report.citations.map(\.sentence)))
            reply.answer = report
            lastAnswer = report
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
            guard grounding == nil else { return ("the system prompt is the grounded one of ask while chatting about articles", false) }
            conversation.setSystemPrompt(text)
            return (text.isEmpty ? "system prompt: the model's default" : "system prompt set", false)
        case .sources: return (sourcesDescription, false)
        case .stats: return (statsDescription, false)
        case .bye: return ("", true)
        case .unknown(let text): return ("unknown command \(text); /help lists the commands", false)
        }
    }

    /// What the last answer rested on: its cited sentences with file and line, or for a refusal the closest.
    public var sourcesDescription: String {
        guard grounding != nil else { return "no articles: start the chat with -f FILE to answer from articles" }
        guard let lastAnswer else { return "no answer yet" }
        let lines = lastAnswer.citationLines
        return lines.isEmpty ? "the last answer cites no sentence" : lines.joined(separator: "\n")
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
            if last.draftedTokens > 0 {
                lines.append("drafting: \(last.acceptedDraftTokens) of \(last.draftedTokens) draft tokens accepted")
            }
        }
        return lines.joined(separator: "\n")
    }
}
