import Foundation
import Transformer

/// One exchange of a chat: what the user said and the model's complete answer.
public struct ChatTurn: Sendable, Equatable {
    public var user: String
    public var assistant: String

    public init(user: String, assistant: String) {
        self.user = user
        self.assistant = assistant
    }
}

/// Why a chat cannot go on with the current input.
public enum ChatError: Error, CustomStringConvertible, Equatable {
    /// The pinned part (system prompt, article) and the new message alone exceed the budget.
    case doesNotFit(tokens: Int, budget: Int)

    public var description: String {
        switch self {
        case .doesNotFit(let tokens, let budget):
            "the system prompt, the article and this message need \(tokens) tokens but only \(budget) are available for the prompt; use a larger -c or a shorter text"
        }
    }
}

/// The history of a chat: a system prompt and an article that stay for the whole conversation, and the
/// completed turns. When the prompt would outgrow the context, the oldest whole turns are dropped; a turn is
/// added only once its answer is complete, so an interrupted answer leaves nothing behind.
public struct ChatConversation: Sendable {
    /// nil: the model's own default (e.g. Qwen's template inserts "You are Qwen, …").
    public private(set) var systemPrompt: String?
    /// An article loaded with `-f`, kept in the system message.
    public let document: String?
    public private(set) var turns: [ChatTurn] = []
    /// Turns dropped so far to keep the history within the context.
    public private(set) var droppedTurnCount = 0

    public init(systemPrompt: String? = nil, document: String? = nil) {
        self.systemPrompt = systemPrompt
        self.document = document
    }

    /// The messages of the conversation, with `pendingUser` as the last, unanswered user message.
    public func messages(pendingUser: String? = nil) -> [ChatMessage] {
        var messages: [ChatMessage] = []
        if let system = systemMessage { messages.append(ChatMessage(role: .system, content: system)) }
        for turn in turns {
            messages.append(ChatMessage(role: .user, content: turn.user))
            messages.append(ChatMessage(role: .assistant, content: turn.assistant))
        }
        if let pendingUser { messages.append(ChatMessage(role: .user, content: pendingUser)) }
        return messages
    }

    var systemMessage: String? {
        guard let document else { return systemPrompt }
        let instruction = (systemPrompt ?? "You are a helpful assistant.")
            + "\n\nThe user has loaded the article below. Answer questions about it from its text, in the language of the question.\n\n"
        return instruction + document
    }

    /// Drops the oldest turns until the prompt for `pendingUser` measures at most `budget` (by `measure`,
    /// a token count of the messages). Returns how many turns were dropped.
    /// - Throws: `ChatError.doesNotFit` when even no history leaves room for the message.
    public mutating func fit(pendingUser: String, budget: Int, measure: ([ChatMessage]) -> Int) throws(ChatError) -> Int {
        var dropped = 0
        while true {
            let size = measure(messages(pendingUser: pendingUser))
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

    /// Forgets the turns (the system prompt and article stay).
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
