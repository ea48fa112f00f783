import Foundation
import Hummingbird
import IngotCatalog
import IngotLake

/// Unity Catalog's JSON shapes for the namespace (`CatalogInfo`, `SchemaInfo`, `TableInfo`,
/// `ColumnInfo`), so UC clients and the admin pages read one format.
enum CatalogJSON {
    struct CatalogInfo: Encodable {
        let name: String
        let comment: String?
        let properties: [String: String]
        let owner: String
        let created_at: Int64
        let created_by: String?
        let updated_at: Int64
        let updated_by: String?
        let id: String
        /// Ingot: the catalog's tags (describe only; clients ignore unknown fields).
        var tags: [String: String]? = nil

        init(_ c: CatalogRecord) {
            name = c.name
            comment = CatalogJSON.text(c.comment)
            properties = c.properties
            owner = c.owner
            created_at = c.createdAt
            created_by = c.createdBy
            updated_at = c.updatedAt
            updated_by = c.updatedBy
            id = c.name
        }
    }

    struct SchemaInfo: Encodable {
        let name: String
        let catalog_name: String
        let full_name: String
        let comment: String?
        let properties: [String: String]
        let owner: String
        let created_at: Int64
        let created_by: String?
        let updated_at: Int64
        let updated_by: String?
        let schema_id: String
        var tags: [String: String]? = nil

        init(_ s: SchemaRecord) {
            name = s.name
            catalog_name = s.catalogName
            full_name = s.fullName
            comment = CatalogJSON.text(s.comment)
            properties = s.properties
            owner = s.owner
            created_at = s.createdAt
            created_by = s.createdBy
            updated_at = s.updatedAt
            updated_by = s.updatedBy
            schema_id = s.fullName
        }
    }

    struct ColumnInfo: Encodable {
        let name: String
        let type_text: String
        let type_name: String
        let type_json: String
        let type_precision: Int?
        let type_scale: Int?
        let position: Int
        let nullable: Bool
        let partition_index: Int?
        var comment: String?
        /// Ingot: the column's tags (describe only).
        var tags: [String: String]? = nil
    }

    struct TableInfo: Encodable {
        let name: String
        let catalog_name: String
        let schema_name: String
        let full_name: String
        let table_type: String
        /// Absent for a view.
        let data_source_format: String?
        let storage_location: String?
        var columns: [ColumnInfo]?
        let comment: String?
        let properties: [String: String]
        let owner: String
        let created_at: Int64
        let created_by: String?
        let updated_at: Int64
        let updated_by: String?
        let table_id: String
        let delta_version: Int64?
        let iceberg_metadata_location: String?
        /// Current version's data files, bytes and rows (describe only).
        var num_files: Int? = nil
        var size_in_bytes: Int64? = nil
        var num_rows: Int64? = nil
        /// Ingot: the table's tags (describe only).
        var tags: [String: String]? = nil
        /// A view's query (table_type VIEW).
        var view_definition: String? = nil
    }

    /// A view as Unity Catalog lists it: table_type VIEW, its query and columns, no storage.
    static func view(_ v: ViewRecord) -> TableInfo {
        let columns = v.columns.enumerated().map { position, c -> ColumnInfo in
            let type = SparkTypes.parse(c.type) ?? .string
            var precision: Int?
            var scale: Int?
            if case .decimal(let p, let s) = type {
                precision = p
                scale = s
            }
            let json = "{\"name\":" + jsonString(c.name) + ",\"type\":" + jsonString(SparkTypes.deltaName(type)) + ",\"nullable\":true,\"metadata\":{}}"
            return ColumnInfo(
                name: c.name, type_text: c.type, type_name: SparkTypes.typeName(type), type_json: json, type_precision: precision, type_scale: scale,
                position: position, nullable: true, partition_index: nil, comment: c.comment)
        }
        return TableInfo(
            name: v.name.table, catalog_name: v.name.catalog, schema_name: v.name.schema, full_name: v.name.description, table_type: "VIEW",
            data_source_format: nil, storage_location: nil, columns: columns, comment: text(v.comment), properties: [:], owner: v.owner,
            created_at: v.createdAt, created_by: v.createdBy, updated_at: v.updatedAt, updated_by: v.updatedBy, table_id: v.viewID,
            delta_version: nil, iceberg_metadata_location: nil, view_definition: v.definition)
    }

    static func table(_ r: TableRecord, location: String, schema: Schema? = nil, partitionColumns: [String] = []) -> TableInfo {
        TableInfo(
            name: r.name.table, catalog_name: r.name.catalog, schema_name: r.name.schema, full_name: r.name.description,
            table_type: r.tableType.rawValue, data_source_format: r.dataSourceFormat, storage_location: location,
            columns: schema.map { columns($0, partitionColumns: partitionColumns) }, comment: text(r.comment), properties: r.properties, owner: r.owner,
            created_at: r.createdAt, created_by: r.createdBy, updated_at: r.updatedAt, updated_by: r.updatedBy, table_id: r.tableID, delta_version: r.deltaVersion,
            iceberg_metadata_location: r.icebergMetadataLocation)
    }

    static func columns(_ schema: Schema, partitionColumns: [String]) -> [ColumnInfo] {
        schema.fields.enumerated().map { position, field in
            let spark = SparkTypes.text(field.type)
            var precision: Int?
            var scale: Int?
            if case .decimal(let p, let s) = field.type {
                precision = p
                scale = s
            }
            let json = "{\"name\":" + jsonString(field.name) + ",\"type\":" + jsonString(SparkTypes.deltaName(field.type))
                + ",\"nullable\":\(field.nullable),\"metadata\":{}}"
            return ColumnInfo(
                name: field.name, type_text: spark, type_name: SparkTypes.typeName(field.type), type_json: json, type_precision: precision,
                type_scale: scale, position: position, nullable: field.nullable, partition_index: partitionColumns.firstIndex(of: field.name),
                comment: nil)
        }
    }

    /// A list response: `{"<key>": [...], "next_page_token": "..."}`, the token absent on the last page.
    struct Page<Item: Encodable>: Encodable {
        /// The list's field (`volumes`, `registered_models`).
        let key: String
        let items: [Item]
        var nextPageToken: String? = nil

        private struct Field: CodingKey {
            let stringValue: String
            var intValue: Int? { nil }
            init(_ name: String) { stringValue = name }
            init?(stringValue: String) { self.init(stringValue) }
            init?(intValue: Int) { nil }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Field.self)
            try container.encode(items, forKey: Field(key))
            try container.encodeIfPresent(nextPageToken, forKey: Field("next_page_token"))
        }
    }

    /// A list request's paging: `max_results` (nil when absent or 0, UC's "server default"; an error when not a
    /// non-negative integer) and `page_token` (nil when absent or empty).
    static func pageRequest(_ request: Request) throws -> (maxResults: Int?, pageToken: String?) {
        let query = request.uri.queryParameters
        let max = try query.get("max_results").map { text -> Int in
            guard let n = Int(text), n >= 0 else { throw CatalogError.invalidParameter("max_results must be a non-negative integer") }
            return n
        }
        return (max == 0 ? nil : max, query.get("page_token").flatMap { $0.isEmpty ? nil : $0 })
    }

    /// An empty comment is no comment.
    static func text(_ s: String?) -> String? { s?.isEmpty == false ? s : nil }

    static func jsonString(_ s: String) -> String {
        var out = ""
        ValueFormatting.appendJSONString(s, to: &out)
        return out
    }
}

/// Unity Catalog's names for lake types: `type_text` (Spark's name, from the SQL engine), `type_name`
/// (`LONG`) and the Delta schema name (`long`), and the reverse for column definitions.
enum SparkTypes {
    static func text(_ t: LakeType) -> String { SQLEngine.sparkTypeName(t) }

    static func typeName(_ t: LakeType) -> String {
        switch t {
        case .bool: "BOOLEAN"
        case .int8: "BYTE"
        case .int16: "SHORT"
        case .int32: "INT"
        case .int64: "LONG"
        case .float32: "FLOAT"
        case .float64: "DOUBLE"
        case .string: "STRING"
        case .binary: "BINARY"
        case .date: "DATE"
        case .timestamp(let utc): utc ? "TIMESTAMP" : "TIMESTAMP_NTZ"
        case .decimal: "DECIMAL"
        @unknown default: t.description.uppercased()
        }
    }

    static func deltaName(_ t: LakeType) -> String {
        switch t {
        case .int8: "byte"
        case .int16: "short"
        case .int32: "integer"
        case .int64: "long"
        default: text(t)
        }
    }

    /// Parses a column type as written in SQL or UC (`bigint`, `LONG`, `decimal(10,2)`, `timestamp_ntz`).
    static func parse(_ raw: String) -> LakeType? { SQLEngine.sparkType(named: raw) }
}
