/// What one side's write changed, carried to the other side's row field by field: a field the
/// other side changed meanwhile (a rename on the monolith while the user was routed to it)
/// survives a later write of another field by the services (a phone change after the rollout
/// moved on). A whole-row write would put the old name back, and backfill and the consistency
/// check would then see both sides agree on it.
struct ChangedFields<Row> {
    private var fields: [(_ previous: Row, _ updated: Row, _ current: inout Row) -> Void] = []

    /// Adds a field to carry when it changed.
    func with<Value: Equatable>(_ field: WritableKeyPath<Row, Value>) -> ChangedFields {
        var copy = self
        copy.fields.append { previous, updated, current in
            if previous[keyPath: field] != updated[keyPath: field] { current[keyPath: field] = updated[keyPath: field] }
        }
        return copy
    }

    /// `current` with every field that differs between `previous` and `updated` set as in `updated`.
    func carry(from previous: Row, to updated: Row, onto current: Row) -> Row {
        var result = current
        for field in fields { field(previous, updated, &result) }
        return result
    }
}

extension ChangedFields where Row == User {
    static var user: ChangedFields { ChangedFields()
        .with(\.email).with(\.passwordHash).with(\.firstName).with(\.lastName).with(\.phone).with(\.role).with(\.updatedAt) }
}

extension ChangedFields where Row == Order {
    static var order: ChangedFields { ChangedFields()
        .with(\.status).with(\.items).with(\.subtotal).with(\.tax).with(\.shipping).with(\.total).with(\.currency).with(\.shippingAddress)
        .with(\.paymentMethod).with(\.paymentId).with(\.cancellationReason).with(\.compensationFailures).with(\.statusHistory).with(\.updatedAt) }
}

extension ChangedFields where Row == Product {
    static var product: ChangedFields { ChangedFields()
        .with(\.sku).with(\.name).with(\.description).with(\.price).with(\.currency).with(\.categoryId).with(\.stockQuantity).with(\.images)
        .with(\.active).with(\.updatedAt) }
}
