#pragma once
// How health looks everywhere in the viewer: one colour, icon and translated word per state, so
// the tree, the tiles, the table and the status bar agree. GUI thread only (QIcon/QPixmap).

#include "gui/state/cluster_cache.h"

#include <QColor>
#include <QIcon>
#include <QString>

namespace conclave::gui {

QColor healthColor(Health health);
/// A light tint of healthColor() for backgrounds (tiles).
QColor healthTint(Health health);
/// A small filled circle in healthColor(); cached.
QIcon healthIcon(Health health);
/// "passing", "warning", "critical", "no checks", translated.
QString healthText(Health health);

}  // namespace conclave::gui
