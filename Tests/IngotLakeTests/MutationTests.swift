import Foundation
import Testing
@testable import IngotLake

/// Flips, truncates and splices bytes of valid files: every mutant must either read or fail with
/// a LakeError — never crash, hang or allocate without bound.
@Suite struct MutationTests {
    static var mutantCount: Int { Int(ProcessInfo.processInfo.environment["INGOT_MUTANTS"] ?? "") ?? 1000 }

    static func seedFiles() async throws -> [[UInt8]] {
        let batch = try sampleBatch(rows: 240, seed: 99)
        var files: [[UInt8]] = []
        let configs: [(Codec, Int, Bool, Bool)] = [
            (.zstd, 1, true, false), (.snappy, 2, true, false), (.gzip, 1, false, false), (.uncompressed, 1, true, false),
            (.lz4Raw, 2, false, true), (.uncompressed, 2, false, true), (.zstd, 2, false, false), (.snappy, 1, false, true),
        ]
        for (codec, version, dict, delta) in configs {
            var o = ParquetWriteOptions(codec: codec)
            o.dataPageVersion = version
            o.dictionary = dict
            o.deltaIntegers = delta
            o.pageRowLimit = 60
            o.rowGroupRows = 120
            files.append(try await writeToMemory([batch], options: o))
        }
        return files
    }

    /// Reads a whole file and renders every value (exercising the formatting paths too).
    static func consume(_ bytes: [UInt8]) async throws -> Int {
        let r = try await ParquetReader.open(MemorySource(bytes, name: "mutant.parquet"))
        var rows = 0
        for g in 0..<r.numRowGroups {
            _ = r.statistics(rowGroup: g)
            _ = r.mightMatch(rowGroup: g, .and([.equal("i64", .int(5)), .isNull("s"), .greater("s", .string("m"))]))
            let b = try await r.readRowGroup(g)
            var out = ""
            ValueFormatting.appendJSONLines(b, rows: 0..<min(b.numRows, 50), to: &out)
            rows += b.numRows
        }
        return rows
    }

    @Test func mutantsReadOrFailCleanly() async throws {
        let files = try await Self.seedFiles()
        for f in files { #expect(try await Self.consume(f) == 240) }
        var rng = SplitMix(20_251_125)
        var read = 0, failed = 0
        let start = Date()
        for m in 0..<Self.mutantCount {
            let original = files[m % files.count]
            var bytes = original
            let kind = rng.next() % 6
            let n = bytes.count
            switch kind {
            case 0, 1:
                // Flip 1-4 bytes; half of them in the footer, where the structure lives.
                for _ in 0..<(1 + Int(rng.next() % 4)) {
                    let footer = rng.next() & 1 == 0
                    let at = footer ? n - 8 - Int(rng.next() % UInt64(min(n - 8, 600))) : Int(rng.next() % UInt64(n))
                    bytes[max(0, min(n - 1, at))] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
                }
            case 2:
                bytes = Array(bytes[0..<Int(rng.next() % UInt64(n))])
            case 3:
                // Splice a range from elsewhere (possibly another file).
                let other = files[Int(rng.next() % UInt64(files.count))]
                let len = 1 + Int(rng.next() % 64)
                let from = Int(rng.next() % UInt64(other.count - len))
                let to = Int(rng.next() % UInt64(n - len))
                bytes.replaceSubrange(to..<to + len, with: other[from..<from + len])
            case 4:
                // Overwrite a byte with an extreme value (lengths, counts, varints).
                let at = n - 8 - Int(rng.next() % UInt64(min(n - 8, 2000)))
                bytes[at] = [0x00, 0xFF, 0x7F, 0x80, 0x0F][Int(rng.next() % 5)]
            default:
                // Delete or insert a few bytes in the middle.
                let at = Int(rng.next() % UInt64(n - 16)) + 4
                if rng.next() & 1 == 0 {
                    bytes.removeSubrange(at..<at + 1 + Int(rng.next() % 8))
                } else {
                    bytes.insert(contentsOf: (0..<(1 + Int(rng.next() % 8))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
                }
            }
            do {
                _ = try await Self.consume(bytes)
                read += 1
            } catch is LakeError {
                failed += 1
            } catch {
                Issue.record("mutant \(m) (kind \(kind)) failed with a non-Lake error: \(error)")
            }
        }
        #expect(read + failed == Self.mutantCount)
        #expect(failed > Self.mutantCount / 10)
        print("mutants: \(Self.mutantCount), read \(read), rejected \(failed), \(Date().timeIntervalSince(start))s")
    }
}
