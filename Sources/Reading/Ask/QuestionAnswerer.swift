import Foundation
import Transformer

/// An answer to a question about one or more articles, with the sentences it rests on.
public struct Answer: Sendable {
    /// The answer, without its `[S#]` markers; when `answered` is false, the sentence saying that the
    /// articles do not answer the question.
    public var text: String
    /// False when the model, shown the best passages, said that they do not answer the question (or the
    /// question had nothing to search for).
    public var answered: Bool
    /// Cited sentence numbers (`[S#]`, across all articles), in order of first citation.
    public var citations: [Int] = []
    /// The sentences shown to the model.
    public var shownSentences: [Int] = []
    /// When not answered: the shown sentence closest to the question, so that the reader can check the refusal.
    public var closest: Int?
    /// The question in the articles' language, when the model translated it for retrieval.
    public var translatedQuestion: String?
    /// The model's text before cleaning (for diagnosis).
    public var rawText = ""
    /// The check of the answer: how much likelier the model found "yes" than "no" (`AnswerCheck`).
    public var checkMargin: Float?
    /// When the model first refused and was asked again (for diagnosis): its refusal.
    public var firstRefusal: String?
    /// An answer the model wrote and then, checking it against the passages it cites, did not confirm (for diagnosis).
    public var checkRejected: String?
    /// When the answer was translated into the question's language: the model's translation before cleaning.
    public var rawTranslation: String?
    public var language: TextLanguage
    public var promptTokens = 0
    public var generatedTokens = 0
    public var seconds: Double = 0
    public var finishReason: FinishReason?
    /// The answer's generation (prompt and generation tokens and times), when the model ran.
    public var generation: GenerationStats?
}

/// Answers a question from the passages the retriever finds, and only from them: the best passages go into
/// one chat prompt with their sentences numbered `[S#]`, the model answers greedily and cites them, or
/// says that the passages do not answer; then the answer names the closest sentence instead.
public final class QuestionAnswerer {
    public let retriever: PassageRetriever
    let runtime: ModelRuntime
    let session: Session
    let template: ChatTemplate
    /// Tokens of passage text in the prompt: a few paragraphs, which a small model reads reliably.
    public let passageTokens = 900
    /// Most tokens of one answer (and of its translation).
    public let answerTokens: Int
    /// One or two sentences, and room for a long name or list.
    public static let defaultAnswerTokens = 200
    /// How sure the model's check of an answer must be, by the model's size (`AnswerCheck`).
    let checkThreshold: Float
    /// Speculative decoding of the answer and its translation: an answer copies names and figures from the excerpts.
    public var speculation = Speculation.none

    public init(retriever: PassageRetriever, runtime: ModelRuntime, session: Session, template: ChatTemplate,
                answerTokens: Int = QuestionAnswerer.defaultAnswerTokens) {
        self.retriever = retriever
        self.runtime = runtime
        self.session = session
        self.template = template
        self.answerTokens = max(1, answerTokens)
        checkThreshold = AnswerCheck.threshold(parameters: runtime.gguf.tensors.reduce(0) { $0 + $1.elementCount })
    }

    /// The reply when the articles do not answer `question`, in its language.
    public static func notAnswered(_ question: String) -> Answer {
        let language = TextLanguage.detect(question)
        return Answer(text: refusal(in: language), answered: false, language: language)
    }

    static func refusal(in language: TextLanguage) -> String {
        language.enforceScript(language.isChinese ? "文章没有回答这个问题。" : "The articles do not answer this question.")
    }

    /// Retrieves and answers. A question in another language than the articles (English about Chinese
    /// articles, or the reverse) shares no words with them: the model first translates it, and both are
    /// searched. A question with nothing to search for is refused without running the model.
    /// `shouldStop` and `onText` as for `answer`.
    public func ask(_ question: String, shouldStop: () -> Bool = { false }, onText: (String) -> Bool = { _ in true }) throws -> Answer {
        let start = Date()
        let found = try retrieve(question)
        guard !found.passages.isEmpty else { return Self.notAnswered(question) }
        var answer = try self.answer(question, translated: found.translation, passages: found.passages, shouldStop: shouldStop, onText: onText)
        answer.translatedQuestion = found.translation
        answer.seconds = Date().timeIntervalSince(start)
        return answer
    }

    /// The candidate passages for `question` asked after `history` (the turns of a chat, oldest first):
    /// searched with the follow-up terms of the history (`PassageRetriever.followUpQuery`) and, when the
    /// question is in another language than the articles, with its translation. No passages when there is
    /// nothing to search for.
    public func retrieve(_ question: String, after history: [ChatTurn] = []) throws -> (passages: [ScoredPassage], translation: String?) {
        var query = retriever.followUpQuery(question, after: history)
        guard !SearchTerms.queryTerms(of: query).isEmpty else { return ([], nil) }
        let translated = try translation(of: question)
        if let translated { query += "\n" + translated }
        return (retriever.candidates(for: query), translated)
    }

    /// The question translated into the articles' language by the model, or nil when it is already in it.
    func translation(of question: String) throws -> String? {
        let questionInChinese = TextLanguage.detect(question).isChinese
        guard retriever.articles.contains(where: { $0.language.isChinese != questionInChinese }) else { return nil }
        let text = try modelTranslation(of: question, into: questionInChinese ? .english : .simplifiedChinese)?.text
        return text?.isEmpty == false ? text : nil
    }

    /// `text` put into `language` by the model, one line, numbers copied as written; each piece goes to `onText`.
    /// An answer is translated beside the question it answers, so that the names come out as the reader wrote
    /// them. Nil when the request does not fit the context.
    func modelTranslation(of text: String, into language: TextLanguage, answering question: String? = nil,
                          onText: (String) -> Bool = { _ in true }) throws -> (text: String, stats: GenerationStats)? {
        let isQuestion = question == nil
        let request: String
        switch (language.isChinese, question) {
        case (true, nil):
            request = "把下面的问题翻译成中文，只写译文。\n\n\(text)"
        case (true, let question?):
            request = "读者问：\(question)\n把下面的回答翻译成中文，名称照读者的写法，数字照原样写出，只写译文。\n\n\(text)"
        case (false, nil):
            request = "Translate this question into English. Write only the translation.\n\n\(text)"
        case (false, let question?):
            request = "A reader asked: \(question)\nTranslate the answer below into English, writing names as the reader did "
                + "and numbers exactly as written. Write only the translation.\n\n\(text)"
        }
        let prompt = template.tokens([ChatMessage(role: .user, content: request)], tokenizer: runtime.tokenizer)
        let budget = isQuestion ? 64 : answerTokens
        guard prompt.count + budget <= session.contextSize else { return nil }
        let options = GenerationOptions(maxTokens: budget, sampling: .greedy, stopStrings: ["\n"], loopWindow: 16, speculation: speculation)
        let (translated, stats) = try TextGenerator(session: session, tokenizer: runtime.tokenizer)
            .generate(prompt: prompt, options: options, onText: { onText(language.enforceScript($0)) })
        return (language.enforceScript(translated).trimmingCharacters(in: .whitespacesAndNewlines), stats)
    }

    /// - Parameters:
    ///   - translated: the question in the articles' language (`translation(of:)`) when it is asked in another. A
    ///     small model shown Chinese excerpts and an English question mostly says they do not answer it, while it
    ///     answers the same question in Chinese: so the translated question is answered in the articles' language,
    ///     and the answer is then translated into the question's.
    ///   - passages: what `retrieve` or `retriever.candidates(for:)` returned (not empty).
    ///   - history: earlier turns of a chat, oldest first, shown to the model before the excerpts so that
    ///     it can tell what a follow-up refers to; they must fit beside the passages (`promptLength`).
    ///   - shouldStop: polled after each prompt batch and each token; true stops the answer (its finish
    ///     reason is then `cancelled`).
    ///   - onText: streamed pieces of the answer without its `[S#]` markers (the checked citations are in
    ///     the result); false stops.
    ///
    /// A sentence of the answer that states a figure (amount, percent, year, count) found nowhere in what the
    /// model was shown is left out; an answer with nothing else is the refusal.
    public func answer(_ question: String, translated: String? = nil, passages: [ScoredPassage], history: [ChatTurn] = [],
                       shouldStop: () -> Bool = { false }, onText: (String) -> Bool = { _ in true }) throws -> Answer {
        let start = Date()
        let language = answerLanguage(for: question)
        let asked = translated ?? question
        var answer = Answer(text: "", answered: true, language: language)
        let shown = choosePassages(passages)
        answer.shownSentences = shown.flatMap { $0.sentences.map(\.number) }
        let figures = AnswerFigures(shown: shown.map(\.text) + [question, asked] + history.flatMap { [$0.user, $0.assistant] })
        let draftLanguage = promptLanguage(question: question, translated: translated)
        // Held back until checked: a reader must not see an answer that is then withdrawn.
        var draft = try draftAnswer(asked, passages: shown, language: draftLanguage, history: history, figures: figures,
                                    shouldStop: shouldStop, onText: { _ in true })
        // A small model refuses questions in other words than the passages' even with the answer in front of it:
        // told that the answer is there, it finds it, and the check below withdraws what it made up.
        if Self.refuses(draft), !draft.stopped {
            answer.firstRefusal = draft.raw
            answer.promptTokens = draft.stats.evaluatedPromptTokens
            answer.generatedTokens = draft.stats.generatedTokens
            draft = try draftAnswer(asked, passages: shown, language: draftLanguage, history: history, figures: figures,
                                    mayRefuse: false, shouldStop: shouldStop, onText: { _ in true })
        }
        answer.text = draft.text
        answer.rawText = draft.raw
        answer.promptTokens += draft.stats.evaluatedPromptTokens
        answer.generatedTokens += draft.stats.generatedTokens
        answer.finishReason = draft.stats.finishReason
        answer.generation = draft.stats
        if !Self.refuses(draft) {
            answer.citations = Self.checkedCitations(draft.citations, answer: answer.text, question: asked, shown: answer.shownSentences, in: retriever)
            answer.checkMargin = draft.stopped ? nil
                : try checkMargin(question: asked, answer: answer.text, citations: answer.citations, shown: shown, language: draftLanguage)
            if let margin = answer.checkMargin, !AnswerCheck.accepts(yesOverNo: margin, threshold: checkThreshold) {
                answer.checkRejected = answer.text
                answer.text = ""
                answer.citations = []
            }
        }
        if answer.text.isEmpty || Self.saysNotFound(answer.text) {
            answer.answered = false
            answer.text = Self.refusal(in: language)
            answer.closest = Self.closestSentence(to: asked, shown: answer.shownSentences, in: retriever)
            if !draft.stopped { _ = onText(answer.text) }
        } else if translated != nil, !draft.stopped {
            try translateBack(&answer, question: question, figures: figures, shouldStop: shouldStop, onText: onText)
        } else if !draft.stopped {
            _ = onText(answer.text)
        }
        answer.seconds = Date().timeIntervalSince(start)
        return answer
    }

    /// The model's answer to `question` over `passages`, in `language`, cleaned as it streams to `onText`.
    struct Draft {
        var text: String
        var raw: String
        /// The `[S#]` numbers the model wrote, in order.
        var citations: [Int]
        var stats: GenerationStats
        /// Stopped by `shouldStop` or `onText`: nothing more goes to the reader.
        var stopped: Bool
    }

    func draftAnswer(_ question: String, passages: [Passage], language: TextLanguage, history: [ChatTurn], figures: AnswerFigures,
                     mayRefuse: Bool = true, shouldStop: () -> Bool, onText: (String) -> Bool) throws -> Draft {
        let prompt = promptTokens(question: question, passages: passages, language: language, history: history, mayRefuse: mayRefuse)
        guard prompt.count + 16 <= session.contextSize else {
            throw GenerationError.contextExceeded(needed: prompt.count + 16, contextSize: session.contextSize)
        }
        let generator = TextGenerator(session: session, tokenizer: runtime.tokenizer)
        var options = GenerationOptions.reply(atMost: answerTokens, promptTokens: prompt.count, contextSize: session.contextSize)
        options.speculation = speculation
        var markers = CitationMarkerFilter()
        var cleaner = AnswerCleaner(question: question, figures: figures)
        var stopped = false
        func pass(_ text: String) -> Bool {
            let piece = cleaner.feed(language.enforceScript(text))
            if !piece.isEmpty, !stopped, !onText(piece) { stopped = true }
            return !stopped
        }
        let (raw, stats) = try generator.generate(prompt: prompt, options: options, onPromptProgress: { _, _ in !shouldStop() },
                                                  onText: { pass(markers.filter($0)) && !shouldStop() })
        if stats.finishReason == .cancelled { stopped = true }
        _ = pass(markers.flush())
        let rest = cleaner.finish()
        if !rest.isEmpty, !stopped { _ = onText(rest) }
        var draft = Draft(text: cleaner.text, raw: raw, citations: CitationMarkers.extract(from: raw).citations, stats: stats, stopped: stopped)
        // Small models sometimes answer with the markers alone: the cited sentences are then the answer. Not
        // when the answer was left out for its figures: the model said something the sentences do not.
        let shownNumbers = passages.flatMap { $0.sentences.map(\.number) }
        let quoted = draft.citations.filter(shownNumbers.contains)
        if draft.text.isEmpty, cleaner.ungroundedSentences.isEmpty, !quoted.isEmpty {
            draft.text = quoted.map { retriever.sentences[$0 - 1].text }.joined()
            if !stopped { _ = onText(draft.text) }
        }
        return draft
    }

    /// Replaces the answer (in the articles' language) by its translation into the question's, streamed to
    /// `onText`. Chinese amounts become exact English figures before the model sees them, so that it only
    /// copies them. The answer stays in the articles' language when the translation comes back empty.
    func translateBack(_ answer: inout Answer, question: String, figures: AnswerFigures,
                       shouldStop: () -> Bool, onText: (String) -> Bool) throws {
        let source = answer.language.isChinese ? answer.text : ChineseAmounts.inEnglishFigures(answer.text)
        var introduced = Set<String>()
        let sourceNames = answer.language.isChinese ? [] : ChineseNames.candidateNames(in: source)
        let names = { ChineseNames.correctingRomanization(in: $0, names: sourceNames, kept: question, introduced: &introduced) }
        var cleaner = AnswerCleaner(question: question, figures: figures, rewrite: names)
        let translation = try modelTranslation(of: source, into: answer.language, answering: question, onText: { piece in
            let clean = cleaner.feed(piece)
            return (clean.isEmpty || onText(clean)) && !shouldStop()
        })
        let cancelled = translation?.stats.finishReason == .cancelled
        if cancelled { answer.finishReason = .cancelled }
        let rest = cleaner.finish()
        if !rest.isEmpty, !cancelled { _ = onText(rest) }
        if !cleaner.text.isEmpty { answer.text = cleaner.text } else if !cancelled { _ = onText(answer.text) }
        answer.rawTranslation = translation?.text
        answer.promptTokens += translation?.stats.evaluatedPromptTokens ?? 0
        answer.generatedTokens += translation?.stats.generatedTokens ?? 0
    }

    static func refuses(_ draft: Draft) -> Bool { draft.text.isEmpty || saysNotFound(draft.text) }

    /// The best passages that fit the prompt budget, best first; a passage far weaker than the best is left out.
    func choosePassages(_ scored: [ScoredPassage]) -> [Passage] {
        guard let best = scored.first?.score else { return [] }
        var chosen: [Passage] = []
        var used = 0
        for candidate in scored where candidate.score >= best * 0.25 && chosen.count < 6 {
            let tokens = runtime.tokenizer.encode(numbered(candidate.passage), addBOS: false, parseSpecial: false).count
            if !chosen.isEmpty && used + tokens > passageTokens { continue }
            chosen.append(candidate.passage)
            used += tokens
        }
        return chosen
    }

    /// The passage as the model reads it: each sentence after its `[S#]`, in simplified script.
    func numbered(_ passage: Passage) -> String {
        passage.sentences.map { "[S\($0.number)] \(TextLanguage.asModelReads($0.text))" }.joined(separator: "\n")
    }

    /// The language an answer to `question` is written in.
    func answerLanguage(for question: String) -> TextLanguage {
        TextLanguage.answerLanguage(question: question, articles: retriever.articles.map(\.language))
    }

    /// The language the model answers in: the question's, or the articles' when it answers the translated question.
    func promptLanguage(question: String, translated: String?) -> TextLanguage {
        translated.map { TextLanguage.answerLanguage(question: $0, articles: retriever.articles.map(\.language)) } ?? answerLanguage(for: question)
    }

    /// Tokens of the prompt that `answer` would evaluate for these arguments: what a chat measures to keep
    /// its history within the context.
    public func promptLength(question: String, translated: String?, passages: [ScoredPassage], history: [ChatTurn]) -> Int {
        promptTokens(question: translated ?? question, passages: choosePassages(passages),
                     language: promptLanguage(question: question, translated: translated), history: history).count
    }

    /// The smallest context in which a grounded answer always fits: a full budget of passages, an answer,
    /// and room for the instructions and a question.
    public var minimumContextSize: Int { passageTokens + answerTokens + 256 }

    /// With `mayRefuse` false the model is told that the answer is in the excerpts: the second try after a
    /// refusal, whose answer only stands if the check (`passesCheck`) confirms it.
    func promptTokens(question: String, passages: [Passage], language: TextLanguage, history: [ChatTurn] = [], mayRefuse: Bool = true) -> [Int32] {
        let articlesInChinese = retriever.articles.contains { $0.language.isChinese }
        // Asked in English about Chinese excerpts, the model is shown their amounts as English figures, so
        // that it copies them instead of converting 万 and 亿 itself.
        let convertsAmounts = articlesInChinese && !language.isChinese
        let excerpts = passages.map { convertsAmounts ? ChineseAmounts.inEnglishFigures(numbered($0)) : numbered($0) }.joined(separator: "\n\n")
        let system: String
        let user: String
        // The refusal is written out word for word so that `saysNotFound` recognizes it; markers go inline
        // because a model asked to "end with the numbers" writes a lead-in phrase ("依据的句子编号是") that
        // is left dangling once the markers are removed.
        if language.isChinese {
            system = "你是一个严谨的阅读助手。只根据给出的文章片段回答问题，不使用片段以外的知识，不编造。"
            user = """
                文章片段（每个句子前有编号）：

                \(excerpts)

                问题：\(TextLanguage.asModelReads(question))

                请根据上面的片段回答问题：用中文一到两句话直接给出答案，在用到的内容后面标出句子编号，例如[S3]；数字照片段原样写出。\
                \(mayRefuse ? "片段中有相关内容时，就根据它回答；只有片段与问题完全无关时，才只回答：文章没有回答这个问题。"
                             : "答案就在上面的片段中：找出说明它的句子，根据它回答。")
                """
        } else {
            system = "You are a careful reading assistant. Answer only from the article excerpts given, never from other knowledge; do not invent."
            let numbers = convertsAmounts ? " Write numbers exactly as the excerpts do." : ""
            user = """
                Article excerpts (each sentence starts with its number):

                \(excerpts)

                Question: \(question)

                Answer the question from the excerpts above, in English, in one or two sentences, putting the number of each sentence you use right after what it supports, e.g. [S3].\(numbers) \
                \(mayRefuse ? "When the excerpts say something relevant, answer from it; only when they have nothing to do with the question, reply only: The articles do not answer this question."
                             : "The answer is in the excerpts above: find the sentence that states it and answer from it.")
                """
        }
        // Earlier turns go before the excerpts as plain messages: they tell the model what "he" or "it" is,
        // while the excerpts and the instructions stay next to the question they serve.
        let earlier = history.flatMap { [ChatMessage(role: .user, content: $0.user), ChatMessage(role: .assistant, content: $0.assistant)] }
        let messages = [ChatMessage(role: .system, content: system)] + earlier + [ChatMessage(role: .user, content: user)]
        return template.tokens(messages, tokenizer: runtime.tokenizer)
    }

    /// The shown sentence that shares the most with the question: what a refusal points the reader to.
    static func closestSentence(to question: String, shown: [Int], in retriever: PassageRetriever) -> Int? {
        shown.max { CitationSupport.overlap(claim: question, sentence: retriever.sentences[$0 - 1].text)
            < CitationSupport.overlap(claim: question, sentence: retriever.sentences[$1 - 1].text) } ?? shown.first
    }

    /// The model's citations that point at sentences it was shown and support the answer about as well as
    /// the best-supporting shown sentence (small models often cite a neighbour of the right sentence). Each
    /// sentence of the answer is checked on its own, so that an answer drawing on two articles keeps a
    /// citation for each. A sentence of the answer that no valid citation supports cites the shown sentence
    /// that supports it best, when one does; when nothing is cited, the shown sentence closest to the
    /// question is, so that the reader can always check the answer against the article.
    static func checkedCitations(_ cited: [Int], answer: String, question: String, shown: [Int], in retriever: PassageRetriever) -> [Int] {
        guard !shown.isEmpty, !Self.saysNotFound(answer) else { return cited.filter(shown.contains) }
        func support(_ text: String, _ number: Int) -> Double { CitationSupport.overlap(claim: text, sentence: retriever.sentences[number - 1].text) }
        func best(for text: String) -> (number: Int, support: Double) {
            shown.map { ($0, support(text, $0)) }.max { $0.1 < $1.1 } ?? (shown[0], 0)
        }
        var checked: [Int] = []
        for claim in Self.sentences(of: answer) {
            let byClaim = best(for: claim)
            let valid = cited.filter { shown.contains($0) && support(claim, $0) >= byClaim.support * 0.5 }
            if !valid.isEmpty {
                checked += valid
            } else if byClaim.support >= 0.2 {
                checked.append(byClaim.number)
            }
        }
        var seen = Set<Int>()
        let unique = checked.filter { seen.insert($0).inserted }
        return unique.isEmpty ? [best(for: question).number] : unique
    }

    /// The sentences of an answer (the whole answer when it has no sentence end).
    static func sentences(of text: String) -> [String] {
        var rest = text
        var sentences: [String] = []
        while let end = SentenceSplitter.endOfFirstSentence(in: rest) {
            sentences.append(String(rest[..<end]))
            rest = String(rest[end...])
        }
        sentences.append(rest)
        return sentences.filter { $0.contains { $0.isLetter || $0.isNumber } }
    }
}

extension QuestionAnswerer {
    /// An answer saying the excerpts do not answer the question: nothing supports it, so nothing is cited.
    static func saysNotFound(_ answer: String) -> Bool {
        let folded = SearchTerms.foldedToSimplified(answer).lowercased()
        return ["没有回答", "没有提到", "未提到", "没有提及", "未提及", "没有说明", "无法回答", "没有相关", "没有提供", "未提供", "无法确定",
                "does not say", "do not say", "not mention", "does not answer", "do not answer", "no information", "not contain", "not provide"]
            .contains { folded.contains($0) }
    }
}

extension TextLanguage {
    /// The language of a question; a Chinese question whose characters are the same in both scripts is
    /// answered in the script of the (first Chinese) article.
    public static func answerLanguage(question: String, articles: [TextLanguage]) -> TextLanguage {
        let detected = detect(question)
        guard detected.isChinese, let articleScript = articles.first(where: \.isChinese) else { return detected }
        let neutral = TextLanguage.simplifiedChinese.enforceScript(question) == question
            && TextLanguage.traditionalChinese.enforceScript(question) == question
        return neutral ? articleScript : detected
    }
}
