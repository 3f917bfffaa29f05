using System.CommandLine;
using System.Globalization;
using ExchangeGateway.Cli.Serve;
using ExchangeGateway.Server.Audit;
using ExchangeGateway.Server.Storage;
using ExchangeGateway.Server.Validation;

namespace ExchangeGateway.Cli.Audit;

/// <summary><c>exgw audit</c>: searches the audit log (Logboek Dataverwerkingen) by person, caller and
/// time. A person is given by BSN or V-number and looked up by its keyed hash: the log never holds it
/// in clear, so this needs the audit key.</summary>
internal static class AuditCommand
{
    public static Command Create()
    {
        var database = new Option<string>("--db") { Description = "SQLite database file.", DefaultValueFactory = _ => GatewayLauncher.DefaultDevDatabase };
        var provider = new Option<StorageProvider>("--provider") { Description = "Storage provider (Sqlite, SqlServer, PostgreSql).", DefaultValueFactory = _ => StorageProvider.Sqlite };
        var connection = new Option<string?>("--connection") { Description = "Connection string (instead of --db)." };
        var key = new Option<string>("--key") { Description = "Audit key file (Gateway:Audit:KeyPath).", DefaultValueFactory = _ => Path.Combine(GatewayLauncher.DefaultDevCertificates, GatewayLauncher.DevAuditKeyFile) };
        var subject = new Option<string?>("--subject") { Description = "A BSN (9 digits) or V-number (10 digits)." };
        var caller = new Option<string?>("--caller") { Description = "Organisation id or OIN of the caller." };
        var from = new Option<DateTime?>("--from") { Description = "From this UTC time (inclusive)." };
        var to = new Option<DateTime?>("--to") { Description = "Until this UTC time (exclusive)." };
        var limit = new Option<int>("--limit") { Description = "Most records to print, newest first.", DefaultValueFactory = _ => 100 };
        var command = new Command("audit", "Search the audit log of data processing by person (BSN or V-number), caller and time.")
        {
            database, provider, connection, key, subject, caller, from, to, limit,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var storage = new StorageOptions
            {
                Provider = result.GetValue(provider),
                ConnectionString = result.GetValue(connection) ?? $"Data Source={result.GetValue(database)};Mode=ReadOnly",
            };
            if (result.GetValue(connection) is null && storage.Provider == StorageProvider.Sqlite && !File.Exists(result.GetValue(database)))
            {
                throw new UsageException($"no database at {Path.GetFullPath(result.GetValue(database)!)} (--db): give the file exgw serve uses, or --connection.");
            }
            if (!File.Exists(result.GetValue(key)))
            {
                throw new UsageException($"no audit key at {Path.GetFullPath(result.GetValue(key)!)} (--key): give the file of Gateway:Audit:KeyPath.");
            }
            if (result.GetValue(subject) is { } person && !Identifiers.IsValidBsn(person) && !Identifiers.IsValidVNumber(person))
            {
                throw new UsageException($"--subject '{person}' is neither a BSN (9 digits passing the 11-test) nor a V-number (10 digits).");
            }
            var query = new AuditQuery(result.GetValue(subject), result.GetValue(caller),
                ToUtc(result.GetValue(from)), ToUtc(result.GetValue(to)), result.GetValue(limit));
            await using var db = new GatewayDbContextFactory(storage).CreateDbContext();
            var records = await query.RunAsync(db, AuditKey.Load(result.GetValue(key)!), cancellationToken);
            Print(records, Console.Out);
            return 0;
        });
        return command;
    }

    public static void Print(IReadOnlyList<AuditRecordEntity> records, TextWriter output)
    {
        output.WriteLine("started (UTC)            ended (UTC)              caller              activity                          outcome              subjects  trace id                          caller's span    operation");
        foreach (var record in records)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{record.StartedAt:yyyy-MM-dd HH:mm:ss.fff}  {record.EndedAt:yyyy-MM-dd HH:mm:ss.fff}  {record.OrganisationId,-18}  {record.ProcessingActivity,-32}  {record.Outcome,-19}  {SubjectCount(record),8}  {record.TraceId}  {record.ForeignOperationId ?? "-",-16}  {record.Operation}"));
        }
        output.WriteLine($"{records.Count} record(s).");
    }

    /// <summary>The data subjects of a record, a delivery's included.</summary>
    private static int SubjectCount(AuditRecordEntity record) =>
        record.Subjects.Count + record.Deliveries.SelectMany(d => d.Subjects.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Distinct(StringComparer.Ordinal).Count();

    private static DateTime? ToUtc(DateTime? time) => time is { } t ? DateTime.SpecifyKind(t, DateTimeKind.Utc) : null;
}
