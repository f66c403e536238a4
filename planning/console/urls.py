from django.urls import path

from planning.console import (
    exceptions,
    kpi_views,
    masterdata_views,
    monitor_views,
    planning_views,
    stale_views,
)

app_name = "console"

urlpatterns = [
    path("", exceptions.exception_list, name="home"),
    path("exceptions/new-since/", exceptions.exception_new_since, name="exception-new-since"),
    path("exceptions/bulk/", exceptions.exception_bulk, name="exception-bulk"),
    path("exceptions/<int:pk>/", exceptions.exception_detail, name="exception-detail"),
    path(
        "exceptions/<int:pk>/triage/<slug:step>/",
        exceptions.exception_triage,
        name="exception-triage",
    ),
    path("exceptions/<int:pk>/fix/<slug:action>/", exceptions.exception_fix, name="exception-fix"),
    # Planning
    path("planning/forecasts/", planning_views.forecast_list, name="forecast-list"),
    path("planning/forecasts/upload/", planning_views.forecast_upload, name="forecast-upload"),
    path("planning/forecasts/diff/", planning_views.forecast_diff, name="forecast-diff"),
    path("planning/forecasts/<int:pk>/", planning_views.forecast_detail, name="forecast-detail"),
    path(
        "planning/forecasts/<int:pk>/<slug:action>/",
        planning_views.forecast_action,
        name="forecast-action",
    ),
    path("planning/runs/", planning_views.run_list, name="run-list"),
    path("planning/runs/request/", planning_views.run_request, name="run-request"),
    path("planning/runs/<int:pk>/row/", planning_views.run_row, name="run-row"),
    path("planning/grid/", planning_views.mrp_grid, name="mrp-grid"),
    path("planning/chart/", planning_views.projected_chart_data, name="projected-chart"),
    path(
        "planning/planned-orders/<int:pk>/firm/",
        planning_views.planned_order_firm_view,
        name="planned-order-firm",
    ),
    path(
        "planning/mrp-messages/<int:pk>/change-request/",
        planning_views.mrp_message_change_request,
        name="mrp-message-change-request",
    ),
    # Stale acknowledgements
    path("stale/", stale_views.stale_list, name="stale-list"),
    path("stale/remind/", stale_views.stale_remind, name="stale-remind"),
    path("stale/po/<int:pk>/note/", stale_views.stale_note, name="stale-note"),
    # Integration monitor
    path("monitor/", monitor_views.monitor, name="monitor"),
    path("monitor/replay/", monitor_views.replay_matching, name="monitor-replay-matching"),
    path("monitor/trace/", monitor_views.trace, name="trace"),
    path("monitor/inbound/<int:pk>/", monitor_views.inbound_detail, name="monitor-inbound"),
    path(
        "monitor/inbound/<int:pk>/replay/",
        monitor_views.inbound_replay,
        name="monitor-inbound-replay",
    ),
    path("monitor/outbound/<int:pk>/", monitor_views.outbound_detail, name="monitor-outbound"),
    path(
        "monitor/outbound/<int:pk>/replay/",
        monitor_views.outbound_replay_one,
        name="monitor-outbound-replay",
    ),
    # KPIs
    path("kpis/", kpi_views.kpis, name="kpis"),
    # Master data
    path("masterdata/items/", masterdata_views.item_list, name="item-list"),
    path("masterdata/items/<int:pk>/", masterdata_views.item_detail, name="item-detail"),
    path("masterdata/bom/<int:pk>/children/", masterdata_views.bom_children, name="bom-children"),
    path("masterdata/suppliers/", masterdata_views.supplier_list, name="supplier-list"),
    path(
        "masterdata/suppliers/<int:pk>/", masterdata_views.supplier_detail, name="supplier-detail"
    ),
    path("masterdata/history/<slug:model>/<int:pk>/", masterdata_views.history, name="history"),
]
