using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace ExchangeGateway.Server.Storage;

/// <summary>The schema on PostgreSQL; migrations in <c>Storage/Postgres/Migrations</c>. PostgreSQL is
/// the server database that proves, here, that several gateway instances can share one database
/// (the sequencing and claiming used for SQL Server are the same).</summary>
internal sealed class PostgresGatewayDbContext(DbContextOptions<PostgresGatewayDbContext> options) : GatewayDbContext(options)
{
    protected override string UnacknowledgedFilter => "\"AcknowledgedAt\" IS NULL";

    protected override string AwaitingEscalationFilter => "\"AcknowledgedAt\" IS NULL AND \"EscalatedAt\" IS NULL";

    public static DbContextOptions<PostgresGatewayDbContext> CreateOptions(StorageOptions storage) =>
        new DbContextOptionsBuilder<PostgresGatewayDbContext>()
            .UseNpgsql(storage.ConnectionString, npgsql => npgsql.MigrationsHistoryTable("__MigrationsHistory"))
            .Options;
}

/// <summary>Lets <c>dotnet ef migrations add --context PostgresGatewayDbContext</c> build the model
/// without a server.</summary>
internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresGatewayDbContext>
{
    public PostgresGatewayDbContext CreateDbContext(string[] args) =>
        new(PostgresGatewayDbContext.CreateOptions(new StorageOptions
        {
            Provider = StorageProvider.PostgreSql,
            ConnectionString = "Host=localhost;Database=exchange_gateway;Username=exchange_gateway",
        }));
}
