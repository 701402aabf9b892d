import Foundation
import Testing
@testable import Server
import Transformer

// The page compiled into the binary, and the speed report it shows.

@Test func webPageFilesAreEmbeddedAndSelfContained() throws {
    for (path, file) in Routes.webFiles {
        let text = try #require(String(bytes: file.bytes, encoding: .utf8), "\(path) is UTF-8")
        #expect(!text.isEmpty)
        // Nothing may come from another origin: no absolute URLs at all.
        #expect(!text.contains("http://") && !text.contains("https://"), "\(path)")
    }
    let index = try #require(Routes.webFiles["/"].flatMap { String(bytes: $0.bytes, encoding: .utf8) })
    #expect(index.contains("src=\"/app.js\"") && index.contains("href=\"/app.css\""))
    #expect(Routes.contentSecurityPolicy.contains("default-src 'none'"))
}

@Test func timingsEncodeAsLlamaCppDoes() throws {
    var timings = Timings()
    timings.promptTokens = 40
    timings.promptSeconds = 1
    timings.generatedTokens = 20
    timings.generationSeconds = 4
    let json = try JSONDecoder().decode([String: Double].self, from: JSONEncoder().encode(timings))
    #expect(json == ["prompt_n": 40, "prompt_ms": 1000, "prompt_per_second": 40,
                     "predicted_n": 20, "predicted_ms": 4000, "predicted_per_second": 5])
}
