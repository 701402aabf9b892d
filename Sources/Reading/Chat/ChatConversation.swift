import Foundation
import Transformer

/// One exchange of a chat: what the user said and the model's complete answer.
public struct ChatTurn: Sendable, Equatable {
    public var user: String
    public var assistant: String
    /// In a chat about articles, the sentences the answer cited: in the articles' language, they name what
    /// the answer was about even when the conversation is in another (`PassageRetriever.followUpQuery`).
    public var citedSentences: [String]

    public init(user: String, assistant: String, citedSentences: [String] = []) {
        self.user = user
        self.assistant = assistant
        self.citedSentences = citedSentences
    }
}

/// Why a chat cannot go on with the current input.
public enum ChatError: Error, CustomStringConvertible, Equatable {
    /// What must go into the prompt with the new message (the system prompt, or the passages of the
    /// articles) and the message alone exceed the budget.
    case doesNotFit(tokens: Int, budget: Int)
    /// The context cannot hold the passages of a grounded answer and the answer.
    case contextTooSmall(contextSize: Int, needed: Int)

    public var description: String {
        switch self {
        case .doesNotFit(let tokens, let budget):
            "this message and what goes with it (the system prompt, or the passages of the articles) need \(tokens) tokens but only \(budget) are available for the prompt; use a larger -c or a shorter message"
        case .contextTooSmall(let contextSize, let needed):
            "-c \(contextSize) is too small to answer from articles: the passages and the answer need a context of at least \(needed) tokens"
        }
    }
}

/// The history of a chat: a system prompt that stays for the whole conversation, and the completed turns.
/// When the prompt would outgrow the context, the oldest whole turns are dropped; a turn is added only once
/// its answer is complete, so an interrupted answer leaves nothing behind.
public struct ChatConversation: Sendable {
    /// nil: the model's own default (e.g. Qwen's template inserts "You are Qwen, …").
    public private(set) var systemPrompt: String?
    public private(set) var turns: [ChatTurn] = []
    /// Turns dropped so far to keep the history within the context.
    public private(set) var droppedTurnCount = 0

    public init(systemPrompt: String? = nil) {
        self.systemPrompt = systemPrompt
    }

    /// The messages of the conversation, with `pendingUser` as the last, unanswered user message.
    public func messages(pendingUser: String? = nil) -> [ChatMessage] {
        var messages: [ChatMessage] = []
        if let systemPrompt { messages.append(ChatMessage(role: .system, content: systemPrompt)) }
        for turn in turns {
            messages.append(ChatMessage(role: .user, content: turn.user))
            messages.append(ChatMessage(role: .assistant, content: turn.assistant))
        }
        if let pendingUser { messages.append(ChatMessage(role: .user, content: pendingUser)) }
        return messages
    }

    /// Drops the oldest turns until `measure` (a token count of the prompt the conversation would make)
    /// is at most `budget`. Returns how many turns were dropped.
    /// - Throws: `ChatError.doesNotFit` when even no history leaves room.
    public mutating func fit(budget: Int, measure: (ChatConversation) -> Int) throws(ChatError) -> Int {
        var dropped = 0
        while true {
            let size = measure(self)
            if size <= budget { break }
            guard !turns.isEmpty else {
                droppedTurnCount += dropped
                throw .doesNotFit(tokens: size, budget: budget)
            }
            turns.removeFirst()
            dropped += 1
        }
        droppedTurnCount += dropped
        return dropped
    }

    public mutating func append(_ turn: ChatTurn) { turns.append(turn) }

    /// Forgets the turns (the system prompt stays).
    public mutating func reset() {
        turns.removeAll()
        droppedTurnCount = 0
    }

    /// Replaces the system prompt; the turns stay.
    public mutating func setSystemPrompt(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        systemPrompt = trimmed.isEmpty ? nil : trimmed
    }
}
