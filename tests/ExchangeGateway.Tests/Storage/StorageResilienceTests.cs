using System.Reflection;
using ExchangeGateway.Server.Storage;
using Microsoft.Data.SqlClient;

namespace ExchangeGateway.Tests.Storage;

public sealed class StorageResilienceTests
{
    [Theory]
    [InlineData(547)]   // foreign key violation
    [InlineData(2627)]  // unique constraint violation
    [InlineData(2601)]  // duplicate key in a unique index
    [InlineData(8152)]  // string or binary data would be truncated
    [InlineData(515)]   // NULL into a NOT NULL column
    public void IsUnavailable_SqlServerErrorOfOneStatement_IsNotUnavailable(int number)
    {
        var exception = SqlServerError(number);

        Assert.False(StorageResilience.IsUnavailable(exception));
    }

    [Theory]
    [InlineData(-2)]     // timeout
    [InlineData(10054)]  // connection reset
    [InlineData(9002)]   // transaction log full
    [InlineData(4060)]   // database cannot be opened
    [InlineData(40613)]  // Azure SQL database not available
    [InlineData(1205)]   // deadlock victim
    public void IsUnavailable_SqlServerCannotTakeTheWorkNow_IsUnavailable(int number)
    {
        var exception = SqlServerError(number);

        Assert.True(StorageResilience.IsUnavailable(exception));
    }

    [Fact]
    public void IsUniqueViolation_SqlServerDuplicateKey_IsUniqueViolation()
    {
        Assert.True(StorageResilience.IsUniqueViolation(SqlServerError(2627)));
        Assert.False(StorageResilience.IsUniqueViolation(SqlServerError(547)));
    }

    /// <summary>A <see cref="SqlException"/> with one error of <paramref name="number"/>. The client has no
    /// public constructor for it (only a server raises it), so it is built the way the client builds it.</summary>
    private static SqlException SqlServerError(int number)
    {
        const BindingFlags Any = BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic;
        var errorConstructor = typeof(SqlError).GetConstructors(Any).Where(c => c.GetParameters() is [{ ParameterType.Name: "Int32" }, ..]).OrderBy(c => c.GetParameters().Length).First();
        var error = (SqlError)errorConstructor.Invoke([.. errorConstructor.GetParameters().Select((p, i) => i == 0 ? number : Default(p))]);
        var errors = (SqlErrorCollection)typeof(SqlErrorCollection).GetConstructors(Any).Single(c => c.GetParameters().Length == 0).Invoke(null);
        typeof(SqlErrorCollection).GetMethod("Add", Any)!.Invoke(errors, [error]);
        var create = typeof(SqlException).GetMethods(Any)
            .Where(m => m.Name == "CreateException" && m.GetParameters() is [{ ParameterType.Name: nameof(SqlErrorCollection) }, { ParameterType.Name: "String" }, ..])
            .OrderBy(m => m.GetParameters().Length).First();
        return (SqlException)create.Invoke(null, [errors, "16.0", .. create.GetParameters().Skip(2).Select(Default)])!;
    }

    private static object? Default(ParameterInfo parameter) => parameter.ParameterType switch
    {
        var t when t == typeof(string) => "test",
        var t when t == typeof(byte) => (byte)16,
        var t when t == typeof(int) => 0,
        var t when t == typeof(uint) => 0u,
        var t when t == typeof(Guid) => Guid.Empty,
        var t when t.IsValueType => Activator.CreateInstance(t),
        _ => null,
    };
}
