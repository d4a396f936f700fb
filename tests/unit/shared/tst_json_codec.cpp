#include <QTest>
class TestJsonCodec : public QObject { Q_OBJECT };
QTEST_APPLESS_MAIN(TestJsonCodec)
#include "tst_json_codec.moc"
