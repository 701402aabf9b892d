import Foundation
import Transformer

/// One summary being written: the plan (which key sentences each point condenses), the generation steps it hands
/// to the `BatchGenerator` (condense a point; put in other words a sentence that copied its source), and the
/// points passed on in order as each becomes final.
final class SummaryRun {
    /// A point being written: its sentences as the model condensed them, each kept, dropped or being reworded.
    private struct PointInProgress {
        let group: [Int]
        /// The sentences the condensing step kept, each replaced by its rewording when that succeeds.
        var sentences: [String] = []
        var rewordsPending = 0
        var condensed = false
        var ready: Bool { condensed && rewordsPending == 0 }
    }

    /// What one generation request is for.
    private enum Step {
        case condense(point: Int)
        case reword(point: Int, sentence: Int)

        var point: Int {
            switch self {
            case .condense(let point), .reword(let point, _): point
            }
        }
    }

    private let summarizer: Summarizer
    private let sentences: [String]
    private let language: TextLanguage
    private let prompts: Prompts
    private let onEvent: (SummaryEvent) -> Void
    private let onPoint: (SummaryPoint) -> Void
    private let start = Date()
    private var summary: Summary
    private let condensePrompts: [[Int32]]
    private var points: [PointInProgress]
    /// Every request handed out, by id, and the text each has written.
    private var steps: [Step] = []
    private var texts: [Summarizer.StepText] = []
    /// Rewordings asked for and not yet handed out, in the order asked.
    private var rewords: [(id: Int, request: BatchGenerator.Request)] = []
    private var nextCondense = 0
    private var nextToPass = 0

    /// Plans the summary: as many points as the article's size asks for, each condensing the key sentences of one
    /// region; every condensing prompt is checked to fit before anything is generated.
    init(summarizer: Summarizer, sentences: [String], length: SummaryLength, language: TextLanguage,
         onEvent: @escaping (SummaryEvent) -> Void, onPoint: @escaping (SummaryPoint) -> Void) throws {
        self.summarizer = summarizer
        self.sentences = sentences
        self.language = language
        self.onEvent = onEvent
        self.onPoint = onPoint
        let prompts = Prompts(language: language)
        self.prompts = prompts
        summary = Summary(language: language)
        summary.contextSize = summarizer.contextSize
        let sizes = sentences.map { summarizer.runtime.tokenizer.encode($0, addBOS: false, parseSpecial: false).count }
        let pointCount = length.pointCount(articleTokens: sizes.reduce(0, +))
        let perPoint = Summarizer.sentencesPerPoint(summarizer.sentencesPerPoint, sentences: sentences.count, points: pointCount)
        let groups = KeySentences().groups(of: sentences, sizes: sizes, regions: pointCount, perRegion: perPoint)
        summary.plannedPoints = groups.count
        condensePrompts = groups.map { group in summarizer.promptTokens(system: prompts.system, user: prompts.condense(group.map { sentences[$0] })) }
        for tokens in condensePrompts { try summarizer.checkRoom(tokens) }
        points = groups.map { PointInProgress(group: $0) }
    }

    /// The next request for a free session. Rewordings go first: they finish points already written. The first
    /// point is condensed alone, at the speed of one sequence, so that something is on screen early; the others
    /// then share the batch.
    func next(_: Int) -> (id: Int, request: BatchGenerator.Request)? {
        if !rewords.isEmpty { return rewords.removeFirst() }
        guard nextCondense < points.count, nextCondense == 0 || points[0].condensed else { return nil }
        let index = nextCondense
        nextCondense += 1
        let group = points[index].group
        onEvent(.pointStarted(index: index + 1, count: points.count, promptTokens: condensePrompts[index].count, sentences: group.map { $0 + 1 }))
        return request(.condense(point: index), prompt: condensePrompts[index], sentences: group.count,
                       maxTokens: group.count * summarizer.tokensPerSentence + 16)
    }

    /// A piece of step `id`'s text: the draft of the next point to pass on goes to `onText`. False when the step
    /// has the sentences it asked for.
    func take(_ id: Int, _ text: String) -> Bool {
        if steps[id].point == nextToPass { summarizer.onText(text) }
        return texts[id].append(text)
    }

    /// Step `id` ended: its sentences are checked against their sources, and the points now final are passed on.
    func finished(_ id: Int, _ result: Result<GenerationStats, GenerationError>) throws {
        let stats = try result.get()
        summary.promptTokens += stats.evaluatedPromptTokens
        summary.generatedTokens += stats.generatedTokens
        if stats.finishReason == .repetition { summary.loopsStopped += 1 }
        texts[id].finish(stats.finishReason)
        onEvent(.stepFinished(point: steps[id].point + 1, stats: stats, text: texts[id].raw))
        switch steps[id] {
        case .condense(let index):
            let sources = points[index].group.map { sentences[$0] }
            // Each sentence written stands on its own: one with a number or a name its sources lack is left
            // out (invented), one that copies a source sentence is asked for again in other words (the copy
            // stays when the new wording no longer rests on the sources).
            for text in texts[id].sentences {
                guard Summarizer.cited(text, sentences: sentences, part: points[index].group) != nil else {
                    summary.droppedSentences += 1
                    continue
                }
                points[index].sentences.append(text)
                guard Summarizer.copies(text, of: sources) else { continue }
                summary.copiedSentences += 1
                points[index].rewordsPending += 1
                let prompt = summarizer.promptTokens(system: prompts.system, user: prompts.reword(text))
                try summarizer.checkRoom(prompt)
                rewords.append(request(.reword(point: index, sentence: points[index].sentences.count - 1), prompt: prompt, sentences: 1,
                                       maxTokens: summarizer.tokensPerSentence))
            }
            points[index].condensed = true
        case .reword(let index, let sentence):
            let group = points[index].group
            if let reworded = texts[id].sentences.first, !Summarizer.copies(reworded, of: group.map { sentences[$0] }),
               Summarizer.cited(reworded, sentences: sentences, part: group) != nil {
                points[index].sentences[sentence] = reworded
                summary.rewordedSentences += 1
            }
            points[index].rewordsPending -= 1
        }
        passReadyPoints()
    }

    /// The summary, once every step has ended.
    func finish() -> Summary {
        summary.seconds = Date().timeIntervalSince(start)
        return summary
    }

    private func request(_ step: Step, prompt: [Int32], sentences wanted: Int, maxTokens: Int) -> (id: Int, request: BatchGenerator.Request) {
        steps.append(step)
        texts.append(Summarizer.StepText(wanted: wanted))
        summary.largestPromptTokens = max(summary.largestPromptTokens, prompt.count)
        var options = GenerationOptions.reply(atMost: maxTokens, promptTokens: prompt.count, contextSize: summarizer.contextSize)
        if summarizer.maxDraft > 0 { options.speculation = .promptLookup(maxDraft: summarizer.maxDraft) }
        // Points and rewordings go to whichever session is free first, which drafting changes: each prompt is
        // evaluated from an empty cache, so that the summary is the same with and without drafting.
        return (steps.count - 1, BatchGenerator.Request(prompt: prompt, options: options, reusesCache: false))
    }

    /// Passes on the points that are final, in order.
    private func passReadyPoints() {
        while nextToPass < points.count, points[nextToPass].ready {
            let point = points[nextToPass]
            nextToPass += 1
            guard let cited = Summarizer.cited(Summarizer.joined(point.sentences, language: language), sentences: sentences, part: point.group),
                  !summarizer.isDuplicate(cited, of: summary.points) else { continue }
            let final = summarizer.localized(cited, language)
            summary.points.append(final)
            if summary.firstPointSeconds == nil { summary.firstPointSeconds = Date().timeIntervalSince(start) }
            onPoint(final)
        }
    }
}
