/// A place in an OpenAPI document, twice: as the check reached it from the operation (through
/// `$ref`s: `#/paths/~1orders/post/responses/201/content/application~1json/schema/properties/total`)
/// and where that schema is written (`#/components/schemas/Order/properties/total`).
package struct DocumentPlace: Sendable, Equatable, CustomStringConvertible {
    package var reached: String
    package var written: String

    package init(_ pointer: String) {
        reached = pointer
        written = pointer
    }

    /// One key or index further down.
    func appending(_ token: String) -> DocumentPlace {
        var copy = self
        let escaped = JSONPointer.escape(token)
        copy.reached += "/" + escaped
        copy.written += "/" + escaped
        return copy
    }

    /// The same place reached, now written where `reference` points.
    func following(_ reference: String) -> DocumentPlace {
        var copy = self
        copy.written = reference
        return copy
    }

    package var description: String { reached == written ? reached : "\(reached) (written at \(written))" }
}
