using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace ExchangeGateway.Server.Storage;

/// <summary>The schema on SQL Server; migrations in <c>Storage/SqlServer/Migrations</c>.</summary>
internal sealed class SqlServerGatewayDbContext(DbContextOptions<SqlServerGatewayDbContext> options) : GatewayDbContext(options)
{
    protected override string UnacknowledgedFilter => "[AcknowledgedAt] IS NULL";

    protected override string AwaitingEscalationFilter => "[AcknowledgedAt] IS NULL AND [EscalatedAt] IS NULL";

    public static DbContextOptions<SqlServerGatewayDbContext> CreateOptions(StorageOptions storage) =>
        new DbContextOptionsBuilder<SqlServerGatewayDbContext>()
            .UseSqlServer(storage.ConnectionString, sql => sql.MigrationsHistoryTable("__MigrationsHistory"))
            .Options;
}

/// <summary>Lets <c>dotnet ef migrations add --context SqlServerGatewayDbContext</c> build the model
/// without a server.</summary>
internal sealed class SqlServerDesignTimeFactory : IDesignTimeDbContextFactory<SqlServerGatewayDbContext>
{
    public SqlServerGatewayDbContext CreateDbContext(string[] args) =>
        new(SqlServerGatewayDbContext.CreateOptions(new StorageOptions
        {
            Provider = StorageProvider.SqlServer,
            ConnectionString = "Server=localhost;Database=ExchangeGateway;Integrated Security=true;TrustServerCertificate=true",
        }));
}
