/// Options for ``ParquetWriter``.
public struct ParquetWriteOptions: Sendable {
    /// Page compression (ZSTD by default).
    public var codec: Codec = .zstd
    /// Codec level; nil uses the codec's default (zstd 1, gzip 6).
    public var compressionLevel: Int32?
    /// Dictionary-encode columns (falls back to PLAIN when a dictionary outgrows `dictionaryPageLimit`).
    public var dictionary = true
    public var dictionaryPageLimit = 1 << 20
    /// 1 for DATA_PAGE (the compatible default) or 2 for DATA_PAGE_V2.
    public var dataPageVersion = 1
    public var pageRowLimit = 20_000
    public var pageByteLimit = 1 << 20
    /// A row group is closed once its uncompressed size or row count reaches these limits.
    public var rowGroupBytes = 128 << 20
    public var rowGroupRows = 1 << 20
    /// Write min/max/null-count statistics and column orders.
    public var statistics = true
    /// Use DELTA_BINARY_PACKED for int32/int64 columns when not dictionary-encoded.
    public var deltaIntegers = false
    /// Extra key/value metadata stored in the footer.
    public var metadata: [String: String] = [:]
    public var createdBy = "ingot version 0.1.0"

    public init(codec: Codec = .zstd) { self.codec = codec }
}

/// What a finished Parquet file holds.
public struct ParquetWriteSummary: Sendable {
    public var rows: Int64
    public var rowGroups: Int
    public var bytes: Int64
}
