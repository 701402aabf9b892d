import Foundation
import Testing
@testable import Reading
import Transformer
import TestSupport

@Suite struct ChatConversationTests {
    /// A stand-in token count: one token per character of the rendered prompt.
    static func characters(_ messages: [ChatMessage]) -> Int {
        ChatTemplate.chatML(defaultSystem: nil).render(messages).count
    }

    @Test func oldestWholeTurnsAreDroppedAndTheSystemPromptStays() throws {
        var conversation = ChatConversation(systemPrompt: "Be brief.")
        for index in 1...5 {
            conversation.append(ChatTurn(user: "question \(index) " + String(repeating: "x", count: 40), assistant: "answer \(index) " + String(repeating: "y", count: 40)))
        }
        let full = Self.characters(conversation.messages(pendingUser: "next"))
        let dropped = try conversation.fit(budget: full - 1) { Self.characters($0.messages(pendingUser: "next")) }
        #expect(dropped == 1)
        #expect(conversation.turns.first?.user.hasPrefix("question 2") == true)
        #expect(conversation.droppedTurnCount == 1)
        let messages = conversation.messages(pendingUser: "next")
        #expect(messages.first == ChatMessage(role: .system, content: "Be brief."))
        #expect(messages.last == ChatMessage(role: .user, content: "next"))
        // Roles alternate after the system message: whole turns only.
        for (index, message) in messages.dropFirst().enumerated() {
            #expect(message.role == (index % 2 == 0 ? .user : .assistant))
        }
    }

    @Test func aMessageThatCannotFitIsAnError() {
        var conversation = ChatConversation(systemPrompt: String(repeating: "rule ", count: 50))
        conversation.append(ChatTurn(user: "hi", assistant: "hello"))
        #expect(throws: ChatError.self) { try conversation.fit(budget: 100) { Self.characters($0.messages(pendingUser: "question")) } }
        #expect(conversation.turns.isEmpty)
    }

    @Test func resetKeepsTheSystemPrompt() {
        var conversation = ChatConversation(systemPrompt: nil)
        conversation.append(ChatTurn(user: "a", assistant: "b"))
        conversation.setSystemPrompt("  Answer in French.  ")
        #expect(conversation.turns.count == 1)
        #expect(conversation.messages().first?.content == "Answer in French.")
        conversation.reset()
        #expect(conversation.turns.isEmpty)
        #expect(conversation.messages().first?.content == "Answer in French.")
        conversation.setSystemPrompt("")
        #expect(conversation.systemPrompt == nil)
        // Without a system prompt there is no system message: the template's default applies.
        #expect(ChatConversation().messages(pendingUser: "hi") == [ChatMessage(role: .user, content: "hi")])
    }
}

@Suite struct ChatInputTests {
    @Test func commandsAreParsed() {
        #expect(ChatCommand.parse("/help") == .help)
        #expect(ChatCommand.parse("  /reset ") == .reset)
        #expect(ChatCommand.parse("/system Answer in one line.") == .system("Answer in one line."))
        #expect(ChatCommand.parse("/system") == .system(""))
        #expect(ChatCommand.parse("/stats") == .stats)
        #expect(ChatCommand.parse("/sources") == .sources)
        #expect(ChatCommand.parse("/bye") == .bye)
        #expect(ChatCommand.parse("/frobnicate now") == .unknown("/frobnicate now"))
        #expect(ChatCommand.parse("what is 1/2?") == nil)
    }

    @Test func tripleQuotesGatherLines() {
        var collector = ChatInputCollector()
        #expect(collector.add("hello") == "hello")
        #expect(collector.add("\"\"\"") == nil)
        #expect(collector.isCollecting)
        #expect(collector.add("line one") == nil)
        #expect(collector.add("") == nil)
        #expect(collector.add("/bye") == nil)
        #expect(collector.add(" \"\"\" ") == "line one\n\n/bye")
        #expect(!collector.isCollecting)
        #expect(collector.add("next") == "next")
    }
}

/// The engine with a real model: the cache carries over between turns, and a stopped answer leaves no trace.
@Suite(.serialized) struct ChatEngineTests {
    static func engine(contextSize: Int = 1024, system: String = "Answer in one short sentence.") throws -> ChatEngine {
        let runtime = try ModelRuntime(path: try TestSupport.modelPath("qwen2.5-0.5b"))
        let session = try runtime.makeSession(contextSize: contextSize, threads: 2)
        return ChatEngine(runtime: runtime, session: session, template: .chatML(defaultSystem: nil),
                          conversation: ChatConversation(systemPrompt: system), maxAnswerTokens: 40)
    }

    @Test func secondTurnEvaluatesOnlyItsNewTokens() throws {
        let engine = try Self.engine()
        let first = try engine.respond("What is the capital of France?", onText: { _ in })
        #expect(first.evaluatedPromptTokens == first.promptTokens)
        let second = try engine.respond("And of Italy?", onText: { _ in })
        // Only the end of the first answer, the new message and the assistant header are evaluated again.
        #expect(second.evaluatedPromptTokens < 20, "evaluated \(second.evaluatedPromptTokens) of \(second.promptTokens)")
        #expect(second.promptTokens > first.promptTokens + first.generatedTokens)
        #expect(engine.conversation.turns.count == 2)
    }

    @Test func stoppedAnswerIsNotKept() throws {
        let engine = try Self.engine()
        var pieces = 0
        let reply = try engine.respond("Count from one to fifty in words.", shouldStop: { pieces >= 3 }, onText: { _ in pieces += 1 })
        #expect(reply.finishReason == .cancelled)
        #expect(engine.conversation.turns.isEmpty)
        let next = try engine.respond("Say hello.", onText: { _ in })
        #expect(next.finishReason != .cancelled)
        #expect(engine.conversation.turns.count == 1)
        #expect(engine.conversation.turns[0].user == "Say hello.")
    }

    /// About articles, each message retrieves again with the conversation in mind and answers as `ask`.
    @Test func groundedFollowUpRetrievesWithThePreviousTurn() throws {
        let runtime = try ModelRuntime(path: try TestSupport.modelPath("qwen2.5-0.5b"))
        let session = try runtime.makeSession(contextSize: 2048, threads: 2)
        let article = try Article(cleaned: TextCleaner().clean(FollowUpQueryTests.text, name: "follow-up.txt"))
        let answerer = QuestionAnswerer(retriever: PassageRetriever(articles: [article]), runtime: runtime, session: session, template: .chatML(defaultSystem: nil))
        let engine = ChatEngine(runtime: runtime, session: session, template: .chatML(defaultSystem: nil), conversation: ChatConversation(),
                                grounding: answerer)
        try engine.checkRoom()
        #expect(engine.sourcesDescription == "no answer yet")
        let first = try engine.respond("谁提出了模型即服务的概念？", onText: { _ in })
        let firstReport = try #require(first.answer)
        #expect(firstReport.citations.allSatisfy { $0.file == "follow-up.txt" })
        // The sentence about 周靖人 (and his date) is shown again for the pronoun of the follow-up.
        let zhou = try #require(answerer.retriever.sentences.first { $0.text.contains("周靖人") }?.number)
        let second = try engine.respond("他什么时候说的？", onText: { _ in })
        let secondReport = try #require(second.answer)
        #expect(secondReport.shownSentences.first == zhou, "\(secondReport.shownSentences)")
        #expect(engine.conversation.turns.count == 2)
        #expect(engine.conversation.turns[1].assistant == secondReport.answer)
        #expect(!secondReport.answer.contains("[S"))
        #expect(engine.sourcesDescription == secondReport.citationLines.joined(separator: "\n"))
        #expect(engine.perform(.system("Be brief.")).message.contains("grounded"))
    }

    @Test func groundedChatNeedsRoomForPassages() throws {
        let runtime = try ModelRuntime(path: try TestSupport.modelPath("qwen2.5-0.5b"))
        let session = try runtime.makeSession(contextSize: 512, threads: 2)
        let article = try Article(cleaned: TextCleaner().clean(FollowUpQueryTests.text, name: "follow-up.txt"))
        let engine = ChatEngine(runtime: runtime, session: session, template: .chatML(defaultSystem: nil), conversation: ChatConversation(),
                                grounding: QuestionAnswerer(retriever: PassageRetriever(articles: [article]), runtime: runtime, session: session,
                                                            template: .chatML(defaultSystem: nil)))
        #expect(throws: ChatError.contextTooSmall(contextSize: 512, needed: 1356)) { try engine.checkRoom() }
    }

    @Test func fullHistoryDropsTheOldestTurns() throws {
        let engine = try Self.engine(contextSize: 160, system: "Answer in three sentences.")
        var dropped = 0
        for question in ["Describe the sea.", "Describe a forest.", "Describe a city.", "Describe the moon."] {
            dropped += try engine.respond(question, onText: { _ in }).droppedTurns
        }
        #expect(dropped > 0)
        #expect(engine.conversation.droppedTurnCount == dropped)
        #expect(engine.conversation.turns.last?.user == "Describe the moon.")
        #expect(engine.session.tokens.count <= 160)
    }
}
