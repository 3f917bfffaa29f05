using System.Reflection;
using ExchangeGateway.Server.Hosting;
using Microsoft.Extensions.Logging;

namespace ExchangeGateway.Tests.Observability;

public sealed class LogEventIdTests
{
    /// <summary>Each area's range, written out by hand: an operator's alert on an event id keeps
    /// working when messages are reworded or files move. A new message takes the next free id of its area.</summary>
    private static readonly Dictionary<string, int> Areas = new(StringComparer.Ordinal)
    {
        ["Audit"] = 1000, ["Chain"] = 2000, ["Dashboard"] = 3000, ["Deadlines"] = 4000, ["Feed"] = 5000,
        ["Health"] = 6000, ["Hosting"] = 7000, ["Identity"] = 8000, ["Limits"] = 9000, ["Merges"] = 10000,
        ["Observability"] = 11000, ["Retention"] = 12000, ["Storage"] = 13000, ["Webhooks"] = 14000,
    };

    private static readonly List<(string Area, MethodInfo Method, LoggerMessageAttribute Message)> Messages =
    [
        .. typeof(GatewayOptions).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.DeclaredOnly))
            .Select(m => (Method: m, Message: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(x => x.Message is not null)
            .Select(x => (x.Method.DeclaringType!.Namespace!.Split('.')[2], x.Method, x.Message!)),
    ];

    [Fact]
    public void LoggerMessages_EveryOne_HasAnIdOfItsAreasRange()
    {
        Assert.True(Messages.Count >= 40, $"found {Messages.Count} logger messages");
        Assert.All(Messages, m =>
        {
            Assert.True(Areas.TryGetValue(m.Area, out var start), $"{m.Method.DeclaringType}.{m.Method.Name}: area {m.Area} has no range");
            Assert.InRange(m.Message.EventId, start + 1, start + 999);
        });
    }

    [Fact]
    public void LoggerMessages_Ids_AreUnique()
    {
        var repeated = Messages.GroupBy(m => m.Message.EventId).Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(m => m.Method.DeclaringType!.Name + "." + m.Method.Name))}");

        Assert.Empty(repeated);
    }
}
