/// A summary as JSON: what `llmrun summarize --json` prints, and the body of `/v1/summarize`'s answer
/// (the server adds the model, its usage and timings, and the numbered article).
public struct SummaryBody: Encodable, Sendable {
    /// A sentence the points cite, with the line of the user's file where it starts.
    public struct Citation: Encodable, Sendable {
        public let id: String
        public let sentence: String
        public let line: Int?
    }

    public let summary: String
    public let points: [SummaryPoint]
    public let language: String
    public let plannedPoints: Int
    /// Every cited sentence once, in article order.
    public let citations: [Citation]
    public let promptTokens: Int
    public let generatedTokens: Int
    public let seconds: Double
    public let firstPointSeconds: Double?
    public let contextSize: Int
    public let largestPromptTokens: Int

    public init(_ summary: Summary, article: Article) {
        self.summary = summary.text
        points = summary.points
        language = summary.language.rawValue
        plannedPoints = summary.plannedPoints
        citations = Set(summary.points.flatMap(\.citations)).sorted().map {
            Citation(id: "S\($0)", sentence: article.sentenceTexts[$0 - 1], line: article.line(ofSentence: $0))
        }
        promptTokens = summary.promptTokens
        generatedTokens = summary.generatedTokens
        seconds = summary.seconds
        firstPointSeconds = summary.firstPointSeconds
        contextSize = summary.contextSize
        largestPromptTokens = summary.largestPromptTokens
    }

    enum CodingKeys: String, CodingKey {
        case summary, points, language, citations, seconds
        case plannedPoints = "planned_points", promptTokens = "prompt_tokens", generatedTokens = "generated_tokens"
        case firstPointSeconds = "first_point_seconds", contextSize = "context_size", largestPromptTokens = "largest_prompt_tokens"
    }
}
