import ContractCore
package import NIOCore
package import Steps

/// A step's request as bytes on the wire (HTTP/1.1).
package struct RequestBytes {
    /// The whole request when nothing in it varies; nil when each request is rendered.
    package let constant: ByteBuffer?

    package init(step: Step, target: TargetURL, userAgent: String) {
        let fixed = step.path.isConstant && step.headers.allSatisfy { $0.value.isConstant } && {
            switch step.body {
            case nil: return true
            case .text(let template): return template.isConstant
            case .json(let template): if case .constant = template { return true } else { return false }
            }
        }()
        if fixed {
            var scope = RenderScope(sequence: RunSequence())
            constant = try? Self.render(step, target: target, userAgent: userAgent, scope: &scope)
        } else {
            constant = nil
        }
    }

    /// Writes the request for `scope`; a header value or path that would break the request
    /// line or the headers (a line break, a space in the path) is an error.
    package static func render(_ step: Step, target: TargetURL, userAgent: String, scope: inout RenderScope) throws(RequestFailure) -> ByteBuffer {
        let path = target.basePath + step.path.render(&scope)
        guard !path.utf8.contains(where: { $0 == 0x20 || $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else {
            throw RequestFailure(kind: .other, message: "the path '\(path.prefix(200))' contains a space or a line break")
        }
        var body: String?
        switch step.body {
        case .text(let template): body = template.render(&scope)
        case .json(let template): body = JSONWriter.compact(template.render(&scope))
        case nil: break
        }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(256 + (body?.utf8.count ?? 0))
        buffer.writeString(step.method)
        buffer.writeStaticString(" ")
        buffer.writeString(path)
        buffer.writeStaticString(" HTTP/1.1")
        let named = step.headers.isEmpty ? [] : Set(step.headers.map { $0.name.lowercased() })
        if !named.contains("host") {
            buffer.writeStaticString("\r\nHost: ")
            buffer.writeString(target.hostHeader)
        }
        if !named.contains("user-agent") {
            buffer.writeStaticString("\r\nUser-Agent: ")
            buffer.writeString(userAgent)
        }
        for header in step.headers where header.name.lowercased() != "content-length" {
            let value = header.value.render(&scope)
            guard !value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else {
                throw RequestFailure(kind: .other, message: "header \(header.name) contains a line break")
            }
            buffer.writeStaticString("\r\n")
            buffer.writeString(header.name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
        }
        if let body {
            buffer.writeStaticString("\r\nContent-Length: ")
            buffer.writeString(String(body.utf8.count))
            buffer.writeStaticString("\r\n\r\n")
            buffer.writeString(body)
        } else if ["POST", "PUT", "PATCH"].contains(step.method) {
            buffer.writeStaticString("\r\nContent-Length: 0\r\n\r\n")
        } else {
            buffer.writeStaticString("\r\n\r\n")
        }
        return buffer
    }
}
