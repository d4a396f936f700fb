// `conclave keygen` (Consul's `consul keygen`): one line of standard base64 holding 32 fresh bytes,
// accepted as a gossip key; -help prints usage; unknown flags are refused.
#include "cli/command.h"
#include "cli/keygen_command.h"
#include "net/gossip_crypto.h"

#include <QBuffer>
#include <QtTest>

using namespace conclave;

namespace {

struct Run {
    int exitCode = 0;
    QByteArray out;
    QByteArray err;
};

Run run(const QStringList &args)
{
    QBuffer out, err, in;
    out.open(QIODevice::WriteOnly);
    err.open(QIODevice::WriteOnly);
    in.open(QIODevice::ReadOnly);
    cli::CliIo io;
    io.out = &out;
    io.err = &err;
    io.in = &in;
    Run r;
    r.exitCode = cli::runCli(args, io);
    r.out = out.data();
    r.err = err.data();
    return r;
}

}  // namespace

class TestKeygen : public QObject {
    Q_OBJECT
private slots:
    void printsAFresh32ByteKey();
    void textIsStandardBase64();
    void helpAndBadFlags();
};

void TestKeygen::printsAFresh32ByteKey()
{
    const Run a = run({QStringLiteral("keygen")});
    const Run b = run({QStringLiteral("keygen")});
    QCOMPARE(a.exitCode, 0);
    QVERIFY(a.err.isEmpty());
    QVERIFY(a.out.endsWith('\n'));
    QCOMPARE(a.out.count('\n'), 1);
    QString error;
    const std::optional<QByteArray> key = net::decodeGossipKey(QString::fromLatin1(a.out), &error);
    QVERIFY2(key.has_value(), qPrintable(error));
    QCOMPARE(key->size(), 32);
    QCOMPARE(a.out.trimmed().size(), 44);  // as Consul's: 44 characters ending in '='
    QVERIFY(a.out != b.out);
}

void TestKeygen::textIsStandardBase64()
{
    QCOMPARE(cli::keygenText(QByteArray::fromHex("a54a89ad5c95463e63b2260490cfed15061f5b2248bf8b375e4bc3c32ec2bb9b")),
             QStringLiteral("pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s="));
}

void TestKeygen::helpAndBadFlags()
{
    const Run help = run({QStringLiteral("keygen"), QStringLiteral("-help")});
    QCOMPARE(help.exitCode, 0);
    QVERIFY(help.out.startsWith("Usage: conclave keygen"));
    const Run bad = run({QStringLiteral("keygen"), QStringLiteral("-bogus")});
    QCOMPARE(bad.exitCode, 1);
    QVERIFY(bad.err.contains("flag provided but not defined: -bogus"));
    QVERIFY(bad.out.isEmpty());
    const Run usage = run({QStringLiteral("-help")});
    QVERIFY(usage.err.contains("keygen     Generates a new encryption key"));
}

QTEST_APPLESS_MAIN(TestKeygen)
#include "tst_keygen.moc"
