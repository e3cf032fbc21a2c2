from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import case_actions, customer_merge, live, stream, tasks, views

urlpatterns = [
    path("", include("lara.web.customer_urls")),  # consent links (public), import progress
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.inbox, name="inbox"),
    path("bulk", views.inbox_bulk, name="inbox-bulk"),
    path("customers/<int:customer_id>/", views.customer_detail, name="customer"),
    path(
        "customers/<int:customer_id>/suggestions/<int:suggestion_id>/accept",
        views.customer_suggestion,
        {"decision": "accept"},
        name="customer-suggestion-accept",
    ),
    path(
        "customers/<int:customer_id>/suggestions/<int:suggestion_id>/reject",
        views.customer_suggestion,
        {"decision": "reject"},
        name="customer-suggestion-reject",
    ),
    path("mentions/", stream.mentions, name="mentions"),
    path("tasks/", tasks.task_list, name="tasks"),
    path("customers/<int:customer_id>/merge", customer_merge.customer_merge_page, name="customer-merge"),
    path(
        "customers/<int:customer_id>/merges/<int:merge_id>/undo",
        customer_merge.customer_unmerge_view,
        name="customer-unmerge",
    ),
    path("tasks/<int:task_id>/done", tasks.task_done, name="task-done"),
    path("cases/<str:reference>/tasks", tasks.case_task_create, name="case-task"),
    path("customers/<int:customer_id>/tasks", tasks.customer_task_create, name="customer-task"),
    path("mentions/<int:message_id>/case", stream.mention_create_case, name="mention-create-case"),
    path("messages/<int:message_id>/correct", stream.message_correct, name="message-correct"),
    path("live/", live.live_stream, name="live"),
    path("chat/", include("lara.web.chat")),  # public: the web chat widget and its visitors
    path("settings/saved-replies/", case_actions.saved_replies, name="saved-replies"),
    path("settings/saved-replies/<int:saved_id>/", case_actions.saved_reply_edit, name="saved-reply-edit"),
    path(
        "settings/saved-replies/<int:saved_id>/delete",
        case_actions.saved_reply_delete,
        name="saved-reply-delete",
    ),
    path("settings/", include("lara.web.settings.urls")),
    path("preferences/", views.preferences, name="preferences"),
    path("preferences/language", views.set_language, name="set-language"),
    path("cases/<str:reference>/", views.case_detail, name="case"),
    path("cases/<str:reference>/reply", views.case_reply, name="case-reply"),
    path("cases/<str:reference>/status", views.case_status, name="case-status"),
    path("cases/<str:reference>/tags", views.case_tags, name="case-tags"),
    path("cases/<str:reference>/note", case_actions.case_note, name="case-note"),
    path("cases/<str:reference>/snooze", case_actions.case_snooze_view, name="case-snooze"),
    path("cases/<str:reference>/wake", case_actions.case_wake_view, name="case-wake"),
    path("cases/<str:reference>/merge", case_actions.case_merge_view, name="case-merge"),
    path("cases/<str:reference>/split", case_actions.case_split_view, name="case-split"),
    path("cases/<str:reference>/escalate", case_actions.case_escalate_view, name="case-escalate"),
    path("cases/<str:reference>/answer-task", case_actions.case_answer_task, name="case-answer-task"),
    path(
        "cases/<str:reference>/replies/<int:reply_id>/approve",
        case_actions.reply_review,
        {"decision": "approve"},
        name="reply-approve",
    ),
    path(
        "cases/<str:reference>/replies/<int:reply_id>/reject",
        case_actions.reply_review,
        {"decision": "reject"},
        name="reply-reject",
    ),
]
