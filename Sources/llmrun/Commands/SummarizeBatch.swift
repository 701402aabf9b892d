import ArgumentParser
import Foundation
import Reading
import Transformer

/// `llmrun summarize FILE|DIR… --out results.jsonl`: a feed of articles, one JSON line each as it finishes,
/// resumable (`BatchResults`). Progress goes to stderr, a line per article: done/total and the time left.
/// With `--server URL…` the articles go to those `llmrun serve` replicas' `/v1/summarize`, `--jobs` at once.
extension Summarize {
    /// One line of the results file.
    struct BatchLine: Codable {
        struct Point: Codable {
            let text: String
            let citations: [Int]
        }

        let path: String
        let hash: String
        var summary: String?
        var points: [Point]?
        var language: String?
        var promptTokens: Int?
        var generatedTokens: Int?
        var seconds: Double?
        /// The replica that wrote it (`--server`).
        var server: String?
        /// Why the article has no summary (it is not text, or empty): redoing it would fail the same way.
        var error: String?

        enum CodingKeys: String, CodingKey {
            case path, hash, summary, points, language, seconds, server, error
            case promptTokens = "prompt_tokens", generatedTokens = "generated_tokens"
        }
    }

    /// An article still to summarize: its text decoded (or why it cannot be).
    struct PendingArticle: Sendable {
        let path: String
        let hash: String
        let text: Result<DecodedText, TextInputError>
    }

    func runBatch(out: String) throws {
        let paths = try BatchResults.articlePaths(files)
        let servers = try self.servers.map(HTTPPost.init(url:))
        let results = try BatchResults(path: out)
        if results.removedTornBytes > 0 {
            Terminal.printError("\(out): removed an unfinished last line (\(results.removedTornBytes) bytes) left by an interrupted run")
        }
        var pending: [PendingArticle] = []
        var unreadable = 0
        for path in paths {
            let input: (bytes: Data, name: String)
            do { input = try InputFile.read(path) } catch {
                // Not recorded: the file may be readable next time.
                unreadable += 1
                Terminal.printError("\(error)")
                continue
            }
            let hash = BatchResults.contentHash(input.bytes)
            guard !results.isDone(path: path, hash: hash) else { continue }
            pending.append(PendingArticle(path: path, hash: hash, text: Result { () throws(TextInputError) in try TextDecoder.decode(input.bytes, name: input.name) }))
        }
        let progress = BatchProgress(results: results, total: paths.count, alreadyDone: paths.count - unreadable - pending.count)
        if servers.isEmpty {
            try summarizeHere(pending, progress: progress)
        } else {
            Self.summarizeOnServers(pending, servers: servers, jobs: jobs, length: length.rawValue, progress: progress)
        }
        let failed = unreadable + progress.failed
        Terminal.printError("\(paths.count) articles: \(progress.summarized) summarized, \(progress.alreadyDone) already in \(out)"
                            + (failed > 0 ? ", \(failed) failed (not recorded; a rerun tries them again)" : ""))
        if failed > 0 { throw ExitCode.failure }
    }

    /// One at a time with the model (loaded on the first article that needs it: a rerun with everything
    /// done loads nothing) or `--extractive`.
    private func summarizeHere(_ pending: [PendingArticle], progress: BatchProgress) throws {
        var modelSummarizer: Summarizer?
        for article in pending {
            var line = BatchLine(path: article.path, hash: article.hash)
            do {
                let article = try Article(cleaned: TextCleaner().clean(try article.text.get()))
                let summary: Summary
                if extractive {
                    summary = extractiveSummary(article)
                } else {
                    let summarizer = try modelSummarizer ?? makeSummarizer()
                    modelSummarizer = summarizer
                    summary = try summarizer.summarize(sentences: article.sentenceTexts, length: length, language: lang.language(for: article))
                }
                (line.summary, line.points, line.language) = (summary.text, summary.points.map { .init(text: $0.text, citations: $0.citations) },
                                                              summary.language.rawValue)
                (line.promptTokens, line.generatedTokens, line.seconds) = (summary.promptTokens, summary.generatedTokens, summary.seconds)
            } catch let error as TextInputError {
                line.error = String(describing: error)
            }
            try progress.record(line)
        }
    }

    /// `jobs` threads, each taking the next article and posting it to the next server in turn. A replica
    /// that is busy, loading or draining (503), that a load balancer in front of it reports gone (502), or
    /// that cannot be reached passes the article to the next one after a second; an article all of them
    /// refuse, each `attempts` times, fails (and is not recorded).
    private static func summarizeOnServers(_ pending: [PendingArticle], servers: [HTTPPost], jobs: Int, length: String, progress: BatchProgress) {
        let attempts = 3
        DispatchQueue.concurrentPerform(iterations: min(jobs, max(1, pending.count))) { _ in
            while true {
                let index = progress.takeIndex()
                guard index < pending.count else { return }
                let article = pending[index]
                var line = BatchLine(path: article.path, hash: article.hash)
                let text: String
                switch article.text {
                case .failure(let error):
                    line.error = String(describing: error)
                    progress.recordOrReport(line)
                    continue
                case .success(let decoded): text = decoded.text
                }
                let body = (try? JSONSerialization.data(withJSONObject: ["text": text, "length": length])) ?? Data()
                var lastError = ""
                var answered = false
                for attempt in 0..<(attempts * servers.count) where !answered {
                    // Consecutive articles to consecutive servers; each retry to the next one.
                    let server = servers[(index + attempt) % servers.count]
                    do {
                        let reply = try server.send("/v1/summarize", body: body)
                        if reply.status == 503 || reply.status == 502 {
                            lastError = "\(server.url): \(reply.status) \(Self.errorMessage(reply.body))"
                            Thread.sleep(forTimeInterval: 1)  // the server's Retry-After
                            continue
                        }
                        line.server = server.url
                        if reply.status == 200, let summary = try? JSONDecoder().decode(ServerSummary.self, from: reply.body) {
                            (line.summary, line.points, line.language) = (summary.summary, summary.points, summary.language)
                            (line.promptTokens, line.generatedTokens) = (summary.usage.promptTokens, summary.usage.completionTokens)
                        } else if reply.status == 400 {
                            // The article itself is refused (nothing to summarize): redoing it would fail the same way.
                            line.error = Self.errorMessage(reply.body)
                        } else {
                            // Another failure (a timeout, the server's error): not tried again elsewhere, as it
                            // may well recur there after as long; a rerun of the batch retries it.
                            lastError = "\(server.url): \(reply.status) \(Self.errorMessage(reply.body))"
                            break
                        }
                        answered = true
                    } catch {
                        // Not reachable (starting, restarting, gone): the next server, after a pause.
                        lastError = String(describing: error)
                        Thread.sleep(forTimeInterval: 1)
                    }
                }
                if answered { progress.recordOrReport(line) } else { progress.fail(article.path, lastError) }
            }
        }
    }

    /// The part of `/v1/summarize`'s response a results line keeps.
    private struct ServerSummary: Decodable {
        struct Usage: Decodable {
            let promptTokens: Int
            let completionTokens: Int
            enum CodingKeys: String, CodingKey { case promptTokens = "prompt_tokens", completionTokens = "completion_tokens" }
        }

        let summary: String
        let points: [BatchLine.Point]
        let language: String
        let usage: Usage
    }

    private static func errorMessage(_ body: Data) -> String {
        struct Body: Decodable {
            struct Detail: Decodable { let message: String }
            let error: Detail
        }
        return (try? JSONDecoder().decode(Body.self, from: body))?.error.message ?? String(decoding: body.prefix(200), as: UTF8.self)
    }

    /// The model's summarizer with this command's options.
    func makeSummarizer() throws -> Summarizer {
        let runtime = try ModelRuntime(path: try model.resolvePath())
        let template = try ChatTemplate.resolve(for: runtime.gguf, override: template)
        let session = try runtime.makeSession(contextSize: self.runtime.contextSize, threads: self.runtime.threadCount)
        return Summarizer(runtime: runtime, session: session, template: template,
                          sentencesPerPoint: sentencesPerPoint ?? Summarizer.defaultSentencesPerPoint, parallelPoints: parallelPoints,
                          maxDraft: speculation.lookup ? speculation.maxDraft : 0)
    }
}

/// The results file and the progress lines, shared by the jobs of a batch.
final class BatchProgress: @unchecked Sendable {
    private let lock = NSLock()
    private var results: BatchResults  // guarded by `lock`
    private let total: Int
    private let start = Date()
    let alreadyDone: Int
    private(set) var summarized = 0
    private(set) var failed = 0
    private var nextIndex = 0  // guarded by `lock`

    init(results: BatchResults, total: Int, alreadyDone: Int) {
        self.results = results
        self.total = total
        self.alreadyDone = alreadyDone
    }

    /// The index of the next article for a job to take.
    func takeIndex() -> Int {
        lock.withLock {
            defer { nextIndex += 1 }
            return nextIndex
        }
    }

    /// Appends `line` and prints the article's progress line.
    func record(_ line: Summarize.BatchLine) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(line)
        try lock.withLock {
            try results.append(data, path: line.path, hash: line.hash)
            summarized += 1
            // The time left from the articles summarized in this run (those already done took none).
            let finished = alreadyDone + summarized + failed
            let left = total - finished
            let elapsed = Date().timeIntervalSince(start)
            let eta = left > 0 ? String(format: ", about %.0f s left", elapsed / Double(summarized) * Double(left)) : ""
            let outcome = line.error.map { "not summarized: \($0)" } ?? "\(line.points?.count ?? 0) points"
            Terminal.printError("[\(finished)/\(total)] \(line.path): \(outcome)\(line.server.map { " (\($0))" } ?? "")\(eta)")
        }
    }

    /// `record`, or on a write failure the error line (the article stays undone).
    func recordOrReport(_ line: Summarize.BatchLine) {
        do { try record(line) } catch { fail(line.path, String(describing: error)) }
    }

    func fail(_ path: String, _ reason: String) {
        lock.withLock {
            failed += 1
            Terminal.printError("[\(alreadyDone + summarized + failed)/\(total)] \(path): failed: \(reason)")
        }
    }
}
