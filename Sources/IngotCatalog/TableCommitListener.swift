/// Told after a commit to a named table is recorded (writes through ``TableService``, pipeline and
/// Iceberg commits, SQL statements, and outside commits noticed on open). Must return quickly:
/// listeners queue work, they never do it on the caller's path.
public protocol TableCommitListener: Sendable {
    func tableCommitted(_ name: TableName) async
}
