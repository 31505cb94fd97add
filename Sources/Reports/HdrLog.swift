import Foundation
package import LoadEngine
import LoadMetrics

/// HdrHistogram's interval log (`.hlog`, log format 1.3): one line per interval with its
/// histogram in the standard V2 compressed encoding, base64 — what HistogramLogAnalyzer and
/// `hdr-plot` read. Values are microseconds; `Interval_Max` is in milliseconds.
package enum HdrLog {
    package static func text(_ result: LoadResult) -> String {
        let start = result.run.startedAt.timeIntervalSince1970
        var out = "#[Histogram log format version 1.3]\n"
        out += String(format: "#[StartTime: %.3f (seconds since epoch), %@]\n", start, ISO8601DateFormatter().string(from: result.run.startedAt))
        out += "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n"
        for point in result.metrics.timeSeries.points {
            out += String(format: "%.3f,%.3f,%.3f,", point.start, point.length, Double(point.latency.max) / 1000)
            out += encode(point.latency).base64EncodedString() + "\n"
        }
        return out
    }

    // The layout of Tollgate's histograms (1 µs … 1 h, 3 significant digits).
    static let subBucketHalfCountMagnitude = 10
    static let subBucketHalfCount = 1 << 10
    static let subBucketMask: UInt64 = (1 << 11) - 1
    static let highestTrackable = LatencyHistogram.highestMicros

    /// The position of `value`'s bucket in HdrHistogram's counts array.
    static func countsIndex(_ value: UInt64) -> Int {
        let bucketIndex = 64 - subBucketHalfCountMagnitude - 1 - (value | subBucketMask).leadingZeroBitCount
        let subBucketIndex = Int(value >> UInt64(bucketIndex))
        return ((bucketIndex + 1) << subBucketHalfCountMagnitude) + subBucketIndex - subBucketHalfCount
    }

    /// The V2 compressed encoding of one histogram.
    static func encode(_ histogram: CompactHistogram) -> Data {
        // Counts as ZigZag LEB128, runs of empty buckets as one negative number.
        var payload = Data()
        var next = 0
        for bucket in histogram.buckets {
            let index = countsIndex(bucket[0])
            if index > next { appendVarint(-Int64(index - next), to: &payload) }
            appendVarint(Int64(bucket[1]), to: &payload)
            next = index + 1
        }
        var plain = Data()
        appendInt32(0x1c84_9303, to: &plain)        // V2 encoding cookie
        appendInt32(UInt32(payload.count), to: &plain)
        appendInt32(0, to: &plain)                  // normalizing index offset
        appendInt32(3, to: &plain)                  // significant digits
        appendInt64(1, to: &plain)                  // lowest discernible value
        appendInt64(highestTrackable, to: &plain)
        appendInt64(Double(1).bitPattern, to: &plain)
        plain.append(payload)
        let compressed = zlibStored(plain)
        var out = Data()
        appendInt32(0x1c84_9304, to: &out)          // V2 compressed cookie
        appendInt32(UInt32(compressed.count), to: &out)
        out.append(compressed)
        return out
    }

    static func appendVarint(_ value: Int64, to data: inout Data) {
        var zigzag = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        repeat {
            var byte = UInt8(zigzag & 0x7f)
            zigzag >>= 7
            if zigzag != 0 { byte |= 0x80 }
            data.append(byte)
        } while zigzag != 0
    }

    static func appendInt32(_ value: UInt32, to data: inout Data) { withUnsafeBytes(of: value.bigEndian) { data.append(contentsOf: $0) } }
    static func appendInt64(_ value: UInt64, to data: inout Data) { withUnsafeBytes(of: value.bigEndian) { data.append(contentsOf: $0) } }

    /// A zlib stream of stored (uncompressed) deflate blocks: valid for every inflater, and the
    /// varint encoding is already compact.
    static func zlibStored(_ data: Data) -> Data {
        var out = Data([0x78, 0x01])
        let bytes = [UInt8](data)
        var offset = 0
        repeat {
            let length = min(65_535, bytes.count - offset)
            let final: UInt8 = offset + length >= bytes.count ? 1 : 0
            out.append(final)
            out.append(contentsOf: [UInt8(length & 0xff), UInt8(length >> 8), UInt8(~length & 0xff), UInt8((~length >> 8) & 0xff)])
            out.append(contentsOf: bytes[offset..<offset + length])
            offset += length
        } while offset < bytes.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in bytes {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        appendInt32((b << 16) | a, to: &out)
        return out
    }
}
