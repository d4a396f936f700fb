#include "gui/models/health_style.h"

#include <QCoreApplication>
#include <QPainter>
#include <QPixmap>

namespace conclave::gui {

QColor healthColor(Health health)
{
    switch (health) {
    case Health::Passing: return QColor(0x2e, 0x9e, 0x4f);
    case Health::Warning: return QColor(0xe0, 0x8a, 0x00);
    case Health::Critical: return QColor(0xd0, 0x2f, 0x2f);
    case Health::Unknown: break;
    }
    return QColor(0x8a, 0x8f, 0x98);
}

QColor healthTint(Health health)
{
    switch (health) {
    case Health::Passing: return QColor(0xe6, 0xf4, 0xea);
    case Health::Warning: return QColor(0xfd, 0xf0, 0xd5);
    case Health::Critical: return QColor(0xfb, 0xe3, 0xe3);
    case Health::Unknown: break;
    }
    return QColor(0xf0, 0xf1, 0xf3);
}

QIcon healthIcon(Health health)
{
    static QIcon cache[4];
    QIcon &icon = cache[int(health)];
    if (icon.isNull()) {
        QPixmap pm(32, 32);
        pm.fill(Qt::transparent);
        QPainter p(&pm);
        p.setRenderHint(QPainter::Antialiasing);
        p.setPen(healthColor(health).darker(120));
        p.setBrush(healthColor(health));
        p.drawEllipse(QRectF(6, 6, 20, 20));
        icon = QIcon(pm);
    }
    return icon;
}

QString healthText(Health health)
{
    switch (health) {
    case Health::Passing: return QCoreApplication::translate("Health", "passing");
    case Health::Warning: return QCoreApplication::translate("Health", "warning");
    case Health::Critical: return QCoreApplication::translate("Health", "critical");
    case Health::Unknown: break;
    }
    return QCoreApplication::translate("Health", "no checks");
}

}  // namespace conclave::gui
