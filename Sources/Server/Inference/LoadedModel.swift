import Foundation
import Reading
import Transformer

/// What a generation streams to its HTTP handler.
enum GenerationEvent: Sendable {
    /// Finished text: whole UTF-8 characters, never a prefix of a stop string.
    case text(String)
    case finished(GenerationStats)
    case failed(GenerationError)
    /// Stopped before its end by the server (its drain time ran out at shutdown).
    case aborted(APIError)
}

/// Work under way on a slot: its events, and a way to stop it. A consumer that stops reading early (the
/// client went away) must call `cancel()`: the stream alone cannot tell, as its producer still holds it.
struct InferenceRun<Event: Sendable>: Sendable {
    let events: AsyncStream<Event>
    fileprivate let cancellation: CancellationFlag

    /// Stops the work at its next token or prompt batch; its slot is then released.
    func cancel() { cancellation.cancel() }
}

/// What a summary streams to its HTTP handler.
enum SummaryStreamEvent: Sendable {
    /// A step starts: point `part` of `parts`.
    case step(SummaryStep)
    /// Raw text of the running step, as the model writes it.
    case text(String)
    case point(SummaryPoint)
    case finished(Summary, Timings)
    case failed(APIError)
}

/// What a question about articles streams to its HTTP handler.
enum AskStreamEvent: Sendable {
    /// A cleaned piece of the answer (no `[S#]` markers).
    case text(String)
    case finished(AnswerReport)
    case failed(APIError)
}

/// Where a summary is: writing point `part` of `parts` (stage "point").
struct SummaryStep: Encodable, Sendable {
    let stage: String
    let part: Int
    let parts: Int
}

/// The served model once loaded: weights, tokenizer, chat template and the slots that run requests.
final class LoadedModel: Sendable {
    /// The name clients use in `model` (the catalog name, or the file name without `.gguf`).
    let id: String
    let runtime: ModelRuntime
    let template: ChatTemplate
    let contextSize: Int
    let pool: SlotPool
    /// Runs the slots' generations together, and summaries alone.
    private let scheduler: BatchScheduler
    /// Draft tokens by prompt lookup per step of each generation (`ServeConfiguration.lookupDraft`).
    private let lookupDraft: Int
    /// What turns request bodies into prompts and settings for this model.
    let requests: RequestPreparer
    private let metrics: ServerMetrics
    private let lifecycle: ServerLifecycle

    init(id: String, runtime: ModelRuntime, template: ChatTemplate, contextSize: Int, pool: SlotPool, scheduler: BatchScheduler,
         lookupDraft: Int, metrics: ServerMetrics, lifecycle: ServerLifecycle) {
        self.id = id
        self.scheduler = scheduler
        self.lookupDraft = lookupDraft
        self.lifecycle = lifecycle
        self.runtime = runtime
        self.template = template
        self.contextSize = contextSize
        self.pool = pool
        self.metrics = metrics
        requests = RequestPreparer(modelID: id, tokenizer: runtime.tokenizer, template: template, contextSize: contextSize)
    }

    /// Loads the model and makes `parallel` sessions. Blocking: call it off the event loops.
    static func load(configuration: ServeConfiguration, metrics: ServerMetrics, lifecycle: ServerLifecycle) throws -> LoadedModel {
        let runtime = try ModelRuntime(path: configuration.modelPath)
        let template = try ChatTemplate.resolve(for: runtime.gguf, override: configuration.template)
        // One pool of threads for all slots: their generations are decoded together (`BatchScheduler`).
        let sessions = try runtime.makeSessions(configuration.parallel, contextSize: configuration.contextSize, threads: configuration.threads)
        let slots = sessions.enumerated().map { InferenceSlot(index: $0.offset, session: $0.element) }
        let contextSize = slots[0].session.contextSize
        return LoadedModel(id: configuration.modelID, runtime: runtime, template: template, contextSize: contextSize,
                           pool: SlotPool(slots: slots, maxQueued: configuration.maxQueued, metrics: metrics),
                           scheduler: try BatchScheduler(sessions: sessions, tokenizer: runtime.tokenizer, draftCapacity: configuration.lookupDraft),
                           lookupDraft: configuration.lookupDraft, metrics: metrics, lifecycle: lifecycle)
    }

    /// Waits for a slot (throws a 503 when the queue is full or the deadline passes), then generates on
    /// the slot's thread, until the end of the text, the deadline or `cancel()`.
    /// `arrival` is when the request came in, for the time-to-first-token metric.
    func generate(prompt: [Int32], options: GenerationOptions, arrival: ContinuousClock.Instant,
                  deadline: ContinuousClock.Instant) async throws -> InferenceRun<GenerationEvent> {
        let slot = try await acquireSlot(prompt: prompt, deadline: deadline)
        let (stream, continuation) = AsyncStream<GenerationEvent>.makeStream()
        let cancellation = CancellationFlag()
        continuation.onTermination = { _ in cancellation.cancel() }
        let (pool, metrics, lifecycle) = (pool, metrics, lifecycle)
        let keepGoing = { !cancellation.isCancelled && ContinuousClock.now < deadline && !lifecycle.isAborting }
        var sentText = false
        var options = options
        if lookupDraft > 0 { options.speculation = .promptLookup(maxDraft: lookupDraft) }
        scheduler.generate(on: slot.index, BatchScheduler.Generation(
            request: BatchGenerator.Request(prompt: prompt, options: options),
            onText: { text in
                if !sentText { metrics.timeToFirstToken.record(ContinuousClock.now - arrival) }
                sentText = true
                continuation.yield(.text(text))
                return keepGoing()
            },
            keepGoing: keepGoing,
            onEnd: { result in
                let outcome: GenerationEvent
                switch result {
                case .success(let stats):
                    metrics.record(stats)
                    // Cut by the shutdown, the text is not the answer: the client hears an error, not a finish reason.
                    outcome = stats.finishReason == .cancelled && lifecycle.isAborting ? .aborted(.stoppedByShutdown) : .finished(stats)
                case .failure(let error as GenerationError): outcome = .failed(error)
                case .failure(let error): outcome = .aborted(.internalError("The generation failed: \(error)"))
                }
                // Free the slot before the client hears the end, so that its next request finds it idle.
                pool.release(slot)
                continuation.yield(outcome)
                continuation.finish()
            }))
        return InferenceRun(events: stream, cancellation: cancellation)
    }

    /// Summarizes `article` on a slot (the article pipeline of `llmrun summarize`), streaming its points,
    /// until the summary is done, the deadline or `cancel()`.
    func summarize(_ article: Article, length: SummaryLength, deadline: ContinuousClock.Instant) async throws -> InferenceRun<SummaryStreamEvent> {
        let (runtime, template) = (runtime, template)
        return try await runAlone(deadline: deadline) { slot, isStopped, aborting, continuation in
            let summarizer = Summarizer(runtime: runtime, session: slot.session, template: template)
            summarizer.isCancelled = isStopped
            summarizer.onText = { continuation.yield(.text($0)) }
            var timings = Timings()
            do {
                let summary = try summarizer.summarize(
                    sentences: article.sentenceTexts, length: length, language: article.language,
                    onEvent: { event in
                        switch event {
                        case .pointStarted(let index, let count, _, _): continuation.yield(.step(SummaryStep(stage: "point", part: index, parts: count)))
                        case .stepFinished(_, let stats, _): timings.add(stats)
                        }
                    },
                    onPoint: { continuation.yield(.point($0)) })
                return .finished(summary, timings)
            } catch is CancellationError {
                return .failed(Self.stopped(aborting(), what: "The summary"))
            } catch {
                return .failed(.invalidRequest("The summary failed: \(error)", param: "text"))
            }
        }
    }

    /// Answers `question` from `articles` on a slot as `llmrun ask` does (retrieval, the grounded prompt,
    /// the cleaned answer with checked citations), streaming the answer, until it is done, the deadline or
    /// `cancel()`. Like a summary, it runs with the threads alone (its own translation step and answer run
    /// on the slot's session, outside the batch).
    func ask(_ question: String, articles: [Article], deadline: ContinuousClock.Instant) async throws -> InferenceRun<AskStreamEvent> {
        let (runtime, template) = (runtime, template)
        return try await runAlone(deadline: deadline) { slot, isStopped, aborting, continuation in
            let retriever = PassageRetriever(articles: articles)
            let answerer = QuestionAnswerer(retriever: retriever, runtime: runtime, session: slot.session, template: template)
            do {
                let answer = try answerer.ask(question, shouldStop: isStopped, onText: { continuation.yield(.text($0)); return true })
                guard answer.finishReason != .cancelled else { return .failed(Self.stopped(aborting(), what: "The answer")) }
                return .finished(AnswerReport(answer, question: question, retriever: retriever))
            } catch let error as GenerationError {
                return .failed(Routes.apiError(for: error, param: "articles"))
            } catch {
                return .failed(.internalError("The answer failed: \(error)"))
            }
        }
    }

    /// Work that needs the threads alone (a summary, an answer) on a slot, streaming the events it yields;
    /// its outcome is the last event, heard after the slot is free again. `isStopped` turns true when the
    /// client leaves, the deadline passes or the server stops (then `aborting` is true).
    private func runAlone<Event: Sendable>(
        deadline: ContinuousClock.Instant,
        _ work: @escaping (InferenceSlot, _ isStopped: @escaping () -> Bool, _ aborting: () -> Bool, AsyncStream<Event>.Continuation) -> Event
    ) async throws -> InferenceRun<Event> {
        let slot = try await acquireSlot(prompt: [], deadline: deadline)
        let (stream, continuation) = AsyncStream<Event>.makeStream()
        let cancellation = CancellationFlag()
        continuation.onTermination = { _ in cancellation.cancel() }
        let (pool, lifecycle) = (pool, lifecycle)
        scheduler.runAlone {
            let outcome = work(slot, { cancellation.isCancelled || ContinuousClock.now >= deadline || lifecycle.isAborting }, { lifecycle.isAborting },
                               continuation)
            pool.release(slot)
            continuation.yield(outcome)
            continuation.finish()
        }
        return InferenceRun(events: stream, cancellation: cancellation)
    }

    /// Why work that runs alone stopped early: the server's shutdown, or (when the client is still there to hear
    /// it) the request's deadline.
    private static func stopped(_ aborting: Bool, what: String) -> APIError {
        aborting ? .stoppedByShutdown
            : APIError(status: 504, message: "\(what) did not finish within the server's request timeout.", type: "server_error", code: "timeout")
    }

    /// A slot, unless the drain time ran out while the request waited for one (then a 503 to retry elsewhere).
    private func acquireSlot(prompt: [Int32], deadline: ContinuousClock.Instant) async throws -> InferenceSlot {
        let slot = try await pool.acquire(prompt: prompt, deadline: deadline)
        guard !lifecycle.isAborting else {
            pool.release(slot)
            throw APIError.shuttingDown
        }
        return slot
    }
}
