import Foundation
import IngotLake

/// The statement-execution API's JSON: `StatementResponse`, `ResultManifest`, `ResultData`.
enum StatementJSON {
    struct ServiceError: Encodable {
        let error_code: String
        let message: String
    }
    struct Status: Encodable {
        let state: String
        let error: ServiceError?
    }
    struct ChunkInfo: Encodable {
        let chunk_index: Int
        let row_offset: Int
        let row_count: Int
    }
    struct SchemaInfo: Encodable {
        let column_count: Int
        let columns: [StatementStore.Column]
    }
    struct Manifest: Encodable {
        let format = "JSON_ARRAY"
        let schema: SchemaInfo
        let total_chunk_count: Int
        let chunks: [ChunkInfo]
        let total_row_count: Int
        let truncated: Bool
    }
    struct ResultData: Encodable {
        let chunk_index: Int
        let row_offset: Int
        let row_count: Int
        let data_array: [[String?]]
        let next_chunk_index: Int?
        let next_chunk_internal_link: String?
    }
    struct Response: Encodable {
        let statement_id: String
        let status: Status
        let manifest: Manifest?
        let result: ResultData?
    }

    static func response(_ entry: StatementStore.Entry) -> Response {
        let error = entry.errorCode.map { ServiceError(error_code: $0, message: entry.errorMessage ?? "") }
        guard entry.state == .succeeded, let result = entry.result else {
            return Response(statement_id: entry.id, status: Status(state: entry.state.rawValue, error: error), manifest: nil, result: nil)
        }
        return Response(
            statement_id: entry.id, status: Status(state: entry.state.rawValue, error: nil), manifest: manifest(result),
            result: chunk(id: entry.id, result, 0))
    }

    static func manifest(_ result: StatementStore.Result) -> Manifest {
        var offset = 0
        let chunks = result.chunks.enumerated().map { i, rows in
            defer { offset += rows.count }
            return ChunkInfo(chunk_index: i, row_offset: offset, row_count: rows.count)
        }
        return Manifest(
            schema: SchemaInfo(column_count: result.columns.count, columns: result.columns), total_chunk_count: chunks.count, chunks: chunks,
            total_row_count: result.totalRows, truncated: result.truncated)
    }

    static func chunk(id: String, _ result: StatementStore.Result, _ index: Int) -> ResultData {
        let rows = index < result.chunks.count ? result.chunks[index] : []
        let offset = result.chunks.prefix(index).reduce(0) { $0 + $1.count }
        let next = index + 1 < result.chunks.count ? index + 1 : nil
        return ResultData(
            chunk_index: index, row_offset: offset, row_count: rows.count, data_array: rows, next_chunk_index: next,
            next_chunk_internal_link: next.map { "/api/2.0/sql/statements/\(id)/result/chunks/\($0)" })
    }

    /// A value as JSON_ARRAY carries it: a string in Spark's text form (binary as base64).
    static func text(_ column: Column, _ row: Int) -> String {
        if column.type == .binary, case .bytes(let v) = column.values { return ValueFormatting.base64(v.bytes(row)) }
        return ValueFormatting.text(column, row)
    }
}
