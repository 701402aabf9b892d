import Foundation
import Testing

/// `../shared/articles/<prefix>…` beside the repository.
private func articlePath(_ prefix: String) throws -> String {
    var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while directory.path != "/" {
        let folder = directory.appendingPathComponent("shared/articles")
        if let name = try? FileManager.default.contentsOfDirectory(atPath: folder.path).first(where: { $0.hasPrefix(prefix) }) {
            return folder.appendingPathComponent(name).path
        }
        directory.deleteLastPathComponent()
    }
    throw CLITestError("no shared/articles/\(prefix)* above \(#filePath)")
}

struct CLITestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

private func jsonObject(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not JSON: \(text)")
}

/// Each cited line of the original file holds the start of the cited sentence (the cleaner's offset map).
private func expectCitationsPointIntoTheirFiles(_ citations: [[String: Any]]) throws {
    for citation in citations {
        let file = try #require(citation["file"] as? String)
        let line = try #require(citation["line"] as? Int)
        let sentence = try #require(citation["sentence"] as? String)
        let lines = try String(contentsOfFile: file, encoding: .utf8).components(separatedBy: "\n")
        #expect(lines.indices.contains(line - 1))
        guard lines.indices.contains(line - 1) else { continue }
        // The cleaner removed pinyin annotations ("發(fā)") from the sentence; remove them from the line too.
        let original = lines[line - 1].replacingOccurrences(of: #"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,6}\)"#, with: "", options: .regularExpression)
        #expect(original.contains(String(sentence.prefix(6))), "line \(line) of \(file) does not hold \(sentence)")
    }
}

@Suite(.serialized) struct AskCLITests {
    struct Case: Sendable, CustomStringConvertible {
        let article: String
        let question: String
        /// In the sentence that answers the question, as it reads in the cleaned file.
        let evidence: String
        /// The fact the answer must state.
        let fact: String
        var description: String { question }
    }

    /// One question per article, written after reading it; the default model answers.
    static let cases: [Case] = [
        Case(article: "000_", question: "Hugging Face 的估值是多少？", evidence: "估值可达 40 亿美金", fact: "40"),
        Case(article: "001_", question: "De Freitas 和 Shazeer 离开谷歌后创办了什么公司？", evidence: "创办了 Character AI", fact: "Character"),
        Case(article: "002_", question: "通義千問是哪天面世的？", evidence: "4月11日", fact: "4月11日"),
        Case(article: "003_", question: "OpenAI把早期投资者的回报限制在多少倍？", evidence: "原始资本的100倍", fact: "100"),
        Case(article: "004_", question: "韓國版的HyperCLOVA有多少參數？", evidence: "擁有2040億參數", fact: "2040"),
    ]

    @Test(arguments: cases)
    func answerCitesTheSentenceThatAnswers(_ item: Case) throws {
        let result = try llmrun(["ask", try articlePath(item.article), item.question, "-m", "qwen2.5-1.5b", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try jsonObject(result.stdout)
        #expect(object["answered"] as? Bool == true)
        let answer = try #require(object["answer"] as? String)
        #expect(answer.contains(item.fact), "answer: \(answer)")
        let citations = try #require(object["citations"] as? [[String: Any]])
        let cited = citations.compactMap { $0["sentence"] as? String }
        #expect(cited.contains { $0.contains(item.evidence) }, "cited: \(cited); answer: \(answer)")
        try expectCitationsPointIntoTheirFiles(citations)
    }

    @Test func severalFilesAreSearchedTogether() throws {
        let first = try articlePath("000_")
        let second = try articlePath("003_")
        // The default model: the answer check's threshold is set for it (0.5b's right answers score below it).
        let result = try llmrun(["ask", first, second, "纳德拉哪一年成为微软的首席执行官？", "-m", "qwen2.5-1.5b", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try jsonObject(result.stdout)
        let citations = try #require(object["citations"] as? [[String: Any]])
        #expect(citations.contains { ($0["file"] as? String) == second && ($0["sentence"] as? String)?.contains("2014年") == true }, "\(citations)")
        try expectCitationsPointIntoTheirFiles(citations)
        // The same citations, grouped by file.
        let files = try #require(object["files"] as? [[String: Any]])
        #expect(files.compactMap { $0["file"] as? String }.contains(second))
        #expect(files.reduce(0) { $0 + (($1["citations"] as? [Any])?.count ?? 0) } == citations.count)
    }

    /// A question whose two parts two articles answer: the answer cites a sentence of each.
    @Test func questionAnsweredByTwoArticlesCitesBoth() throws {
        let first = try articlePath("000_")
        let second = try articlePath("003_")
        let result = try llmrun(["ask", first, second, "Hugging Face的估值和微软对OpenAI的投资各是多少？", "-m", "qwen2.5-1.5b", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try jsonObject(result.stdout)
        let citations = try #require(object["citations"] as? [[String: Any]])
        func cites(_ file: String, _ evidence: String) -> Bool {
            citations.contains { ($0["file"] as? String) == file && ($0["sentence"] as? String)?.contains(evidence) == true }
        }
        #expect(cites(first, "40 亿美金") && cites(second, "10亿美元"), "\(citations)")
        let files = try #require(object["files"] as? [[String: Any]])
        #expect(files.compactMap { $0["file"] as? String } == [first, second])
        try expectCitationsPointIntoTheirFiles(citations)
    }

    /// The model, shown the nearest passages, refuses; the refusal names the closest sentence. With -v, stderr
    /// shows the sentences the model was shown, with file and line, and what it wrote.
    @Test func unansweredQuestionNamesTheClosestSentence() throws {
        let path = try articlePath("003_")
        let result = try llmrun(["ask", path, "今天北京的天气怎么样？", "-m", "qwen2.5-1.5b", "--json", "-v"])
        #expect(result.status == 0, "\(result.stderr)")
        let diagnosis = result.stderr.components(separatedBy: "\n")
        #expect(diagnosis.contains("--- shown to the model:") && diagnosis.contains("--- the model wrote:"), "\(result.stderr)")
        #expect(diagnosis.contains { $0.hasPrefix("[S") && $0.contains(" \(path):") }, "\(result.stderr)")
        let object = try jsonObject(result.stdout)
        #expect(object["answered"] as? Bool == false)
        #expect(object["answer"] as? String == "文章没有回答这个问题。")
        let closest = try #require(object["closest"] as? [String: Any], "\(object)")
        try expectCitationsPointIntoTheirFiles([closest])
    }

    @Test func questionWithoutContentDoesNotNeedTheModel() throws {
        // A model that does not exist proves that none is loaded.
        let result = try llmrun(["ask", try articlePath("000_"), "？！", "-m", "no-such-model", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try jsonObject(result.stdout)["answered"] as? Bool == false)
    }

    @Test func badInputIsAOneLineError() throws {
        let missing = try llmrun(["ask", "/no/such/article.txt", "What happened?"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("/no/such/article.txt"))
        #expect(missing.stderr.split(separator: "\n").count == 1, "\(missing.stderr)")
        let noQuestion = try llmrun(["ask", try articlePath("000_")])
        #expect(noQuestion.status != 0)
        let binary = try temporaryFile([0x00, 0x01, 0x02, 0x00, 0xFF, 0x00, 0x10, 0x00], name: "binary.txt")
        defer { try? FileManager.default.removeItem(atPath: binary) }
        let undecodable = try llmrun(["ask", binary, "What happened?"])
        #expect(undecodable.status == 1)
        #expect(undecodable.stderr.split(separator: "\n").count == 1, "\(undecodable.stderr)")
    }
}

@Suite struct ExtractiveCLITests {
    @Test func extractiveSummaryCitesItsSentencesWithoutAModel() throws {
        for prefix in ["001_", "004_"] {
            let path = try articlePath(prefix)
            let result = try llmrun(["summarize", path, "--extractive", "--json", "--length", "short", "-m", "no-such-model"])
            #expect(result.status == 0, "\(result.stderr)")
            let object = try jsonObject(result.stdout)
            let points = try #require(object["points"] as? [[String: Any]])
            // A short summary of a long report: six points, one key sentence each.
            #expect(points.count == 6)
            let citations = try #require(object["citations"] as? [[String: Any]])
            #expect(citations.count == 6)
            let sentences = citations.compactMap { $0["sentence"] as? String }
            for point in points {
                #expect(sentences.contains(try #require(point["text"] as? String)))
            }
            try expectCitationsPointIntoTheirFiles(citations.map { var citation = $0; citation["file"] = path; return citation })
        }
    }
}

@Suite struct ChatCLITests {
    @Test func nonTerminalInputIsReadLineByLine() throws {
        let input = "What is the capital of France? Answer with one word.\n/stats\n/system\n/bye\nThis line is never read.\n"
        let result = try llmrun(["chat", "-m", "qwen2.5-0.5b", "-c", "512"], stdin: Data(input.utf8))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Paris"))
        #expect(result.stdout.contains("turns: 1 kept"))
        #expect(!result.stdout.contains(">>>"), "no prompt when stdin is not a terminal")
    }

    @Test func contextTooSmallForArticlesIsAClearError() throws {
        let result = try llmrun(["chat", "-m", "qwen2.5-0.5b", "-c", "512", "-f", try articlePath("001_")], stdin: Data())
        #expect(result.status == 1)
        #expect(result.stderr.contains("-c 512"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        let missing = try llmrun(["chat", "-m", "qwen2.5-0.5b", "--file", "/no/such/article.txt"], stdin: Data())
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("/no/such/article.txt") && missing.stderr.split(separator: "\n").count == 1, "\(missing.stderr)")
    }

    /// -n bounds a grounded answer as it bounds a plain one.
    @Test func maxTokensBoundsAGroundedAnswer() throws {
        let input = "谁提出了模型即服务的概念？\n/stats\n"
        let result = try llmrun(["chat", "-m", "qwen2.5-0.5b", "-f", try articlePath("003_"), "-n", "3"], stdin: Data(input.utf8))
        #expect(result.status == 0, "\(result.stderr)")
        let stats = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("last answer:") }, "\(result.stdout)")
        let beforeTokens = try #require(stats.components(separatedBy: " tokens at ").first, "\(stats)")
        let generated = try #require(beforeTokens.split(separator: " ").last.flatMap { Int($0) }, "\(stats)")
        #expect(generated <= 3 && stats.contains("(length)"), "\(stats)")
    }

    /// Two turns about an article: the follow-up's "他" is the person the first answer named, and each answer
    /// is followed by its cited sentences with file and line; /sources repeats the last ones.
    @Test func followUpAboutAnArticleResolvesThePronoun() throws {
        let path = try articlePath("003_")
        let input = "谁提出了模型即服务的概念？\n他什么时候说的？\n/sources\n"
        let result = try llmrun(["chat", "-m", "qwen2.5-1.5b", "-f", path], stdin: Data(input.utf8))
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let citationLines = lines.filter { $0.hasPrefix("[S") }
        #expect(citationLines.allSatisfy { $0.contains(" \(path):") }, "\(result.stdout)")
        let answers = lines.filter { !$0.hasPrefix("[S") }
        #expect(answers.count == 2, "\(result.stdout)")
        #expect(answers.first?.contains("周靖人") == true, "\(result.stdout)")
        #expect(answers.last?.contains("2022") == true, "\(result.stdout)")
        // The second answer's citations, then the same lines from /sources.
        let afterSecond = lines.drop { $0 != answers.last }.dropFirst()
        let cited = Array(afterSecond.prefix(afterSecond.count / 2))
        #expect(!cited.isEmpty && Array(afterSecond.suffix(cited.count)) == cited, "\(result.stdout)")
        #expect(cited.contains { $0.contains("2022年11月") }, "\(result.stdout)")
    }
}
