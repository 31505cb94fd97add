import HTTPTypes
import Hummingbird
import NIOCore

/// A JSON answer as it was first given, kept so the same idempotency key gets it again.
struct StoredReply: Sendable {
    let status: Int
    let body: [UInt8]

    /// The HTTP response; a replay says so in `Idempotent-Replayed`, as Stripe does.
    func response(replayed: Bool = false) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if replayed { headers[HTTPField.Name("Idempotent-Replayed")!] = "true" }
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
