/// A GGUF file whose tokenizer metadata llmrun cannot use. The description is one line naming the file,
/// the field and the problem.
public struct TokenizerError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let field: String
    public let problem: String

    public init(path: String, field: String, problem: String) {
        self.path = path
        self.field = field
        self.problem = problem
    }

    public var description: String { "\(path): \(field): \(problem)" }
}
