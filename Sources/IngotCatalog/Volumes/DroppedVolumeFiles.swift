/// Told, after the transaction that deleted them commits, about volumes whose rows went with their
/// schema or catalog (``NamespaceStore/deleteSchema(catalog:name:force:)``, ``NamespaceStore/deleteCatalog(_:force:)``),
/// so that managed volumes' files go too. ``VolumeService`` is the implementation.
public protocol DroppedVolumeFiles: Sendable {
    func removeFiles(of dropped: [VolumeRecord]) throws
}
