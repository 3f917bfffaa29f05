using System.Security.Cryptography;
using System.Text;

namespace ExchangeGateway.Server.Audit;

/// <summary>The key under which data subjects (BSN, V-number) are stored in the audit log: HMAC-SHA256,
/// because a plain hash of a 9-digit BSN is brute-forced in seconds. The key lives in a file outside
/// the database (a mounted secret in production), so a copy of the database alone reveals no one.</summary>
public sealed class AuditKey
{
    private const int MinimumBytes = 32;

    private readonly byte[] _key;

    public AuditKey(byte[] key)
    {
        if (key.Length < MinimumBytes)
        {
            throw new ArgumentException($"An audit key needs at least {MinimumBytes} bytes.", nameof(key));
        }
        _key = key;
    }

    /// <summary>Reads a key file: base64 text of at least 32 random bytes.</summary>
    public static AuditKey Load(string path)
    {
        byte[] key;
        try
        {
            key = Convert.FromBase64String(File.ReadAllText(path).Trim());
        }
        catch (FormatException)
        {
            throw new InvalidDataException($"{path} is not a base64 audit key.");
        }
        return key.Length >= MinimumBytes ? new AuditKey(key) : throw new InvalidDataException($"{path} holds fewer than {MinimumBytes} bytes.");
    }

    /// <summary>Writes a fresh random key readable by the owner only, unless the file exists.</summary>
    public static void CreateFileIfMissing(string path)
    {
        if (File.Exists(path))
        {
            return;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, Convert.ToBase64String(RandomNumberGenerator.GetBytes(MinimumBytes)) + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    /// <summary>A key for another purpose (the dashboard's session cookies), derived from this one, so
    /// every instance holding the key file agrees on it and the audit key itself is used for one thing.</summary>
    public byte[] Derive(string purpose) => HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes("derive:" + purpose));

    /// <summary>The stored form of a data subject: the kind is part of the input, so a BSN and a
    /// V-number never share a hash.</summary>
    public string Protect(SubjectKind kind, string identifier)
    {
        var input = Encoding.UTF8.GetBytes((kind == SubjectKind.Bsn ? "bsn:" : "v:") + identifier);
        return Convert.ToHexStringLower(HMACSHA256.HashData(_key, input));
    }

    /// <summary>The stored forms to look for when searching by an identifier whose kind is unknown:
    /// 9 digits is a BSN, 10 a V-number.</summary>
    public IReadOnlyList<string> ProtectAny(string identifier) => identifier.Length switch
    {
        9 => [Protect(SubjectKind.Bsn, identifier)],
        10 => [Protect(SubjectKind.VNumber, identifier)],
        _ => [Protect(SubjectKind.Bsn, identifier), Protect(SubjectKind.VNumber, identifier)],
    };
}

/// <summary>The kinds of identifier the audit log records subjects by.</summary>
public enum SubjectKind
{
    Bsn,
    VNumber,
}
