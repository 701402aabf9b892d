import ArgumentParser
import Foundation
import Reading
import Transformer

/// `llmrun summarize FILE|DIR… --out results.jsonl`: a feed of articles, one JSON line each as it finishes,
/// resumable (`BatchResults`). Progress goes to stderr, a line per article: done/total and the time left.
extension Summarize {
    /// One line of the results file.
    struct BatchLine: Encodable {
        let path: String
        let hash: String
        var summary: String?
        var points: [SummaryPoint]?
        var language: String?
        var promptTokens: Int?
        var generatedTokens: Int?
        var seconds: Double?
        /// Why the article has no summary (it is not text, or empty): redoing it would fail the same way.
        var error: String?

        enum CodingKeys: String, CodingKey {
            case path, hash, summary, points, language, seconds, error
            case promptTokens = "prompt_tokens", generatedTokens = "generated_tokens"
        }
    }

    func runBatch(out: String) throws {
        let paths = try BatchResults.articlePaths(files)
        var results = try BatchResults(path: out)
        if results.removedTornBytes > 0 {
            Terminal.printError("\(out): removed an unfinished last line (\(results.removedTornBytes) bytes) left by an interrupted run")
        }
        // Loaded on the first article that needs it: a rerun with everything done loads nothing.
        var modelSummarizer: Summarizer?
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let start = Date()
        var (done, skipped, summarized, unreadable) = (0, 0, 0, 0)
        for path in paths {
            let input: (bytes: Data, name: String)
            do { input = try InputFile.read(path) } catch {
                // Not recorded: the file may be readable next time.
                unreadable += 1
                Terminal.printError("[\(done + unreadable)/\(paths.count)] \(error)")
                continue
            }
            let hash = BatchResults.contentHash(input.bytes)
            guard !results.isDone(path: path, hash: hash) else {
                done += 1
                skipped += 1
                continue
            }
            var line = BatchLine(path: path, hash: hash)
            do {
                let article = try Article(cleaned: TextCleaner().clean(try TextDecoder.decode(input.bytes, name: input.name)))
                let summary: Summary
                if extractive {
                    summary = extractiveSummary(article)
                } else {
                    let summarizer = try modelSummarizer ?? makeSummarizer()
                    modelSummarizer = summarizer
                    summary = try summarizer.summarize(sentences: article.sentenceTexts, length: length, language: lang.language(for: article))
                }
                (line.summary, line.points, line.language) = (summary.text, summary.points, summary.language.rawValue)
                (line.promptTokens, line.generatedTokens, line.seconds) = (summary.promptTokens, summary.generatedTokens, summary.seconds)
            } catch let error as TextInputError {
                line.error = String(describing: error)
            }
            try results.append(try encoder.encode(line), path: path, hash: hash)
            done += 1
            summarized += 1
            // The time left from the articles summarized in this run (skipped ones took none).
            let elapsed = Date().timeIntervalSince(start)
            let left = paths.count - done - unreadable
            let eta = left > 0 ? String(format: ", about %.0f s left", elapsed / Double(summarized) * Double(left)) : ""
            Terminal.printError("[\(done + unreadable)/\(paths.count)] \(path): \(line.error.map { "not summarized: \($0)" } ?? "\(line.points?.count ?? 0) points")\(eta)")
        }
        Terminal.printError("\(paths.count) articles: \(summarized) summarized, \(skipped) already in \(out)"
                            + (unreadable > 0 ? ", \(unreadable) unreadable" : ""))
        if unreadable > 0 { throw ExitCode.failure }
    }

    private func makeSummarizer() throws -> Summarizer {
        let runtime = try ModelRuntime(path: try model.resolvePath())
        let template = try ChatTemplate.resolve(for: runtime.gguf, override: template)
        let session = try runtime.makeSession(contextSize: self.runtime.contextSize, threads: self.runtime.threadCount)
        let summarizer = Summarizer(runtime: runtime, session: session, template: template)
        summarizer.speculation = lookup ? .promptLookup(maxDraft: 8) : .none
        return summarizer
    }
}
