import Foundation

/// A plain-HTTP POST to an `llmrun serve` (`summarize --server`), one connection per request. Sockets
/// rather than URLSession: FoundationNetworking would bring libcurl into the binary and the container
/// image for this one use.
struct HTTPPost {
    let host: String
    let port: Int
    let url: String

    /// `http://HOST[:PORT]`, with or without a trailing slash; anything else is a one-line error.
    init(url: String) throws {
        self.url = url
        guard let components = URLComponents(string: url), components.scheme == "http", let host = components.host, !host.isEmpty,
              components.path.isEmpty || components.path == "/" else {
            throw InputError("--server \(url): expected http://HOST[:PORT] (an llmrun serve)")
        }
        self.host = host
        port = components.port ?? 80
    }

    struct Reply {
        let status: Int
        let body: Data
    }

    /// Sends `body` as JSON to `path` and returns the status and body. Throws when the server cannot be reached
    /// or the connection breaks before the whole response.
    func send(_ path: String, body: Data) throws -> Reply {
        let descriptor = try connect()
        defer { close(descriptor) }
        var request = Data("POST \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n".utf8)
        request.append(body)
        try request.withUnsafeBytes { bytes in
            var sent = 0
            while sent < bytes.count {
                let n = Foundation.send(descriptor, bytes.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
                guard n > 0 else { throw InputError("\(url): sending failed: \(String(cString: strerror(errno)))") }
                sent += n
            }
        }
        var response = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(descriptor, &buffer, buffer.count, 0)
            if n == 0 { break }
            guard n > 0 else { throw InputError("\(url): the connection broke: \(String(cString: strerror(errno)))") }
            response.append(contentsOf: buffer[0..<n])
        }
        return try Self.parse(response, from: url)
    }

    private func connect() throws -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else { throw InputError("\(url): cannot resolve \(host)") }
        defer { freeaddrinfo(list) }
        var entry: UnsafeMutablePointer<addrinfo>? = first
        var lastError = ECONNREFUSED
        while let address = entry {
            let descriptor = socket(address.pointee.ai_family, address.pointee.ai_socktype, address.pointee.ai_protocol)
            if descriptor >= 0 {
                if Foundation.connect(descriptor, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 { return descriptor }
                lastError = errno
                close(descriptor)
            }
            entry = address.pointee.ai_next
        }
        throw InputError("\(url): cannot connect: \(String(cString: strerror(lastError)))")
    }

    /// Status line, headers, and the body (whole with Content-Length, de-chunked, or up to the close).
    static func parse(_ response: Data, from url: String) throws -> Reply {
        let bytes = [UInt8](response)
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(0, bytes.count - 3)).first(where: { Array(bytes[$0..<$0 + 4]) == separator }) else {
            throw InputError("\(url): the response ended before its headers")
        }
        let head = String(decoding: bytes[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusWords = head[0].split(separator: " ")
        guard statusWords.count >= 2, let status = Int(statusWords[1]) else { throw InputError("\(url): not an HTTP response") }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(bytes[(end + 4)...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" {
            body = try dechunk(body, from: url)
        } else if let length = headers["content-length"].flatMap(Int.init) {
            guard body.count >= length else { throw InputError("\(url): the response ended after \(body.count) of \(length) bytes") }
            body = Array(body[0..<length])
        }
        return Reply(status: status, body: Data(body))
    }

    private static func dechunk(_ bytes: [UInt8], from url: String) throws -> [UInt8] {
        var output: [UInt8] = []
        var index = 0
        while true {
            guard let lineEnd = (index..<max(index, bytes.count - 1)).first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 }),
                  let field = String(decoding: bytes[index..<lineEnd], as: UTF8.self).split(separator: ";").first,
                  let size = Int(field.trimmingCharacters(in: .whitespaces), radix: 16), size >= 0 else {
                throw InputError("\(url): the response ended inside its body")
            }
            if size == 0 { return output }
            let start = lineEnd + 2
            guard start + size <= bytes.count else { throw InputError("\(url): the response ended inside its body") }
            output += bytes[start..<start + size]
            index = start + size + 2
        }
    }
}
