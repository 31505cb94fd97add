import Foundation

/// A value behind a lock, shared between threads and tasks.
final class LockedValue<Value>: @unchecked Sendable {
    // Safe: every access to `stored` goes through `lock`.
    private let lock = NSLock()
    private var stored: Value

    init(_ value: Value) { stored = value }

    var value: Value {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }

    /// Changes the value in place while holding the lock; returns what `body` returns.
    func withValue<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        try lock.withLock { try body(&stored) }
    }
}

/// A boolean shared with a background thread.
typealias LockedFlag = LockedValue<Bool>
