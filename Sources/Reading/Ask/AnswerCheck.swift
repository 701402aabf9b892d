import Foundation
import Transformer

/// The model's own check of an answer against the passages it cites: shown only those passages, the
/// question and the answer, does it say "yes" or "no" to "do the passages give this answer?". A small
/// model answering over several passages takes a sentence about something near the question for its answer
/// ("the head of its China office" for "its founder") or fills in a figure; judging one short claim
/// against one passage, it tells them apart more often. The verdict is read from the logits of the first
/// token (one forward pass over a short prompt, nothing generated).
struct AnswerCheck {
    /// The words the verdict is read from, in the language of the check.
    struct Verdict {
        let yes: String
        let no: String
    }

    static func verdict(in language: TextLanguage) -> Verdict {
        language.isChinese ? Verdict(yes: "是", no: "否") : Verdict(yes: "Yes", no: "No")
    }

    /// The request: the passages, the question, the answer, and the yes/no question about them.
    static func request(question: String, answer: String, passages: [String], language: TextLanguage) -> String {
        let excerpts = passages.joined(separator: "\n\n")
        if language.isChinese {
            return TextLanguage.asModelReads("""
                文章片段：

                \(excerpts)

                问题：\(question)
                回答：\(answer)

                这个回答是否由上面的片段直接说明，并且回答的正是这个问题？只回答“是”或“否”。
                """)
        }
        return """
            Article excerpts:

            \(excerpts)

            Question: \(question)
            Answer: \(answer)

            Do the excerpts above state this answer, and does it answer this very question? Reply only Yes or No.
            """
    }

    /// How much likelier "yes" must be than "no" (difference of the first tokens' logits) for the answer to stand.
    /// Measured with qwen2.5-1.5b on the question set (BENCHMARKS.md): right answers scored 1.84 to 3.4, answers
    /// to questions the articles do not answer −0.2 to 1.73: a thin gap, between the two.
    static let threshold: Float = 1.8
    /// A model under a billion parameters judges less sharply (qwen2.5-0.5b scored right answers 0.2 and 1.2), so
    /// its answer is withdrawn only when it finds "no" likelier than "yes".
    static let smallModelThreshold: Float = 0

    /// The threshold for a model of `parameters` weights.
    static func threshold(parameters: Int) -> Float { parameters >= 1_000_000_000 ? threshold : smallModelThreshold }

    static func accepts(yesOverNo: Float, threshold: Float = AnswerCheck.threshold) -> Bool {
        yesOverNo >= threshold
    }
}

extension QuestionAnswerer {
    /// How much likelier the model finds "yes" than "no" (logits) when shown the passages holding `citations` and
    /// asked whether they give `answer` to `question` (both in the articles' language); nil when nothing it was
    /// shown is cited or the check does not fit the context.
    func checkMargin(question: String, answer: String, citations: [Int], shown: [Passage], language: TextLanguage) throws -> Float? {
        let cited = shown.filter { passage in passage.sentences.contains { citations.contains($0.number) } }
        guard !cited.isEmpty else { return nil }
        let request = AnswerCheck.request(question: question, answer: answer, passages: cited.map(\.text), language: language)
        let prompt = template.tokens([ChatMessage(role: .user, content: request)], tokenizer: runtime.tokenizer)
        let verdict = AnswerCheck.verdict(in: language)
        guard prompt.count <= session.contextSize,
              let yes = runtime.tokenizer.encode(verdict.yes, addBOS: false, parseSpecial: false).first,
              let no = runtime.tokenizer.encode(verdict.no, addBOS: false, parseSpecial: false).first else { return nil }
        try session.evaluate(prompt)
        let logits = session.lastLogits
        return logits[Int(yes)] - logits[Int(no)]
    }
}
