// Replays every file of the committed corpus (tests/fuzz/corpus/http) through the fuzz entry point,
// so its invariants run in every build, without clang or libFuzzer. A violation aborts the test.
#include <QDir>
#include <QtTest>

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

class TestFuzzCorpus : public QObject {
    Q_OBJECT
private slots:
    void corpusIsPresent();
    void replay_data();
    void replay();
};

void TestFuzzCorpus::corpusIsPresent()
{
    const QDir dir(QStringLiteral(CONCLAVE_FUZZ_CORPUS_DIR));
    QVERIFY2(dir.exists(), CONCLAVE_FUZZ_CORPUS_DIR);
    QVERIFY(dir.entryList(QDir::Files).size() >= 5);
}

void TestFuzzCorpus::replay_data()
{
    QTest::addColumn<QByteArray>("input");
    const QDir dir(QStringLiteral(CONCLAVE_FUZZ_CORPUS_DIR));
    for (const QFileInfo &info : dir.entryInfoList(QDir::Files, QDir::Name)) {
        QFile f(info.filePath());
        if (f.open(QIODevice::ReadOnly))
            QTest::newRow(qPrintable(info.fileName())) << f.readAll();
    }
    QTest::newRow("empty input") << QByteArray();
}

void TestFuzzCorpus::replay()
{
    QFETCH(QByteArray, input);
    QCOMPARE(LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t *>(input.constData()), size_t(input.size())), 0);
}

QTEST_APPLESS_MAIN(TestFuzzCorpus)
#include "tst_fuzz_corpus.moc"
