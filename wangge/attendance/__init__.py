"""Attendance of dispatched cadres (第一书记 / 下沉干部): assignments, check-ins, the weekly rule."""
