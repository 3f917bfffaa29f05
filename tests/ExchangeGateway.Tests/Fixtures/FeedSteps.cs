using ExchangeGateway.Contracts.V1;
using Microsoft.EntityFrameworkCore;

namespace ExchangeGateway.Tests.Fixtures;

/// <summary>Reads one stored notice the way its recipient gets it: over the organisation's own feed
/// stream, replayed from the notice's sequence, so a test sees what was delivered and not only what
/// was stored, whatever else is waiting on that feed.</summary>
internal static class FeedSteps
{
    /// <summary>The single notice of <paramref name="type"/> about <paramref name="subject"/> on
    /// <paramref name="feed"/>, as delivered to <paramref name="organisationId"/>'s stream. Earlier
    /// notices about the same subject that are still unacknowledged come first (per-arrival order); they
    /// are acknowledged on the way, as the recipient's system would once it has processed them.</summary>
    public static async Task<Notice> DeliveredAsync(this GatewayHost host, string organisationId, string feed, string subject, string type)
    {
        long sequence;
        await using (var db = host.Db())
        {
            sequence = await db.Notices.AsNoTracking()
                .Where(n => n.FeedId == feed && n.Subject == subject && n.Type == type)
                .Select(n => n.Sequence)
                .SingleAsync();
        }
        var open = new OpenFeed { FromSequence = (ulong)sequence };
        if (feed.StartsWith("municipality:", StringComparison.Ordinal))
        {
            open.MunicipalityCode = feed["municipality:".Length..];
        }
        await using var reader = await FeedReader.OpenAsync(host.Feed(organisationId), open);
        while (true)
        {
            var notice = await reader.NextNoticeAsync();
            if (notice.Sequence == (ulong)sequence)
            {
                Assert.Equal(subject, notice.Subject);
                Assert.Equal(type, notice.Type);
                return notice;
            }
            if (notice.Subject == subject)
            {
                Assert.True(notice.Sequence < (ulong)sequence, $"notice {notice.Sequence} about the subject came before the replayed {sequence}");
                await reader.AcknowledgeAsync(notice.Sequence);
            }
        }
    }

    /// <summary>The feeds holding a notice about <paramref name="subject"/>, each once per notice.</summary>
    public static async Task<List<string>> FeedsWithNoticeAboutAsync(this GatewayHost host, string subject, string type)
    {
        await using var db = host.Db();
        return await db.Notices.AsNoTracking()
            .Where(n => n.Subject == subject && n.Type == type)
            .OrderBy(n => n.FeedId)
            .Select(n => n.FeedId)
            .ToListAsync();
    }
}
