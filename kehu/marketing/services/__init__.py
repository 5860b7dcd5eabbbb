"""Every write of marketing campaigns: plan (campaign, costs, messages), launch (snapshot the
audience into members, hold out the control group, leave out who may not be contacted, queue
the messages), send (e-mail and SMS in batches, each contact an interaction on the customer's
timeline), call lists, responses, unsubscribes and the do-not-contact list."""

from kehu.marketing.services.common import (
    EDITABLE,
    INTERACTION_TYPE,
    PURPOSE_OF,
    REFUSED,
    SENT_BY_KEHU,
    UNSUBSCRIBE_SALT,
    log,
)
from kehu.marketing.services.contacts import (
    call_list_assign,
    contact_log,
    labels_export_log,
)
from kehu.marketing.services.launch import (
    audience_ids,
    campaign_launch,
    sends_queue,
)
from kehu.marketing.services.messages import (
    email_message,
    email_test_send,
    language_for,
    sms_text,
    unsubscribe_token,
    unsubscribe_url,
)
from kehu.marketing.services.planning import (
    campaign_cost_add,
    campaign_create,
    campaign_pick_list,
    campaign_update,
    template_save,
)
from kehu.marketing.services.responses import (
    do_not_contact_set,
    response_record,
    unsubscribe,
    unsubscribe_read,
)
from kehu.marketing.services.results import campaign_results_keep_for
from kehu.marketing.services.schedule import (
    campaign_schedule,
    campaigns_launch_due,
)
from kehu.marketing.services.sending import (
    campaign_finish,
    campaign_send_now,
    delivery_report,
    email_bounce,
    sends_process,
)
from kehu.marketing.services.tracking import (
    TRACK_SALT,
    track_click,
    track_links,
    track_open,
)

__all__ = [
    "EDITABLE",
    "INTERACTION_TYPE",
    "PURPOSE_OF",
    "REFUSED",
    "SENT_BY_KEHU",
    "UNSUBSCRIBE_SALT",
    "audience_ids",
    "call_list_assign",
    "campaign_cost_add",
    "campaign_create",
    "campaign_results_keep_for",
    "campaign_pick_list",
    "campaign_finish",
    "campaign_launch",
    "campaign_schedule",
    "campaign_send_now",
    "campaigns_launch_due",
    "campaign_update",
    "contact_log",
    "delivery_report",
    "do_not_contact_set",
    "email_bounce",
    "email_message",
    "email_test_send",
    "labels_export_log",
    "language_for",
    "log",
    "response_record",
    "sends_process",
    "sends_queue",
    "sms_text",
    "template_save",
    "TRACK_SALT",
    "track_click",
    "track_links",
    "track_open",
    "unsubscribe",
    "unsubscribe_read",
    "unsubscribe_token",
    "unsubscribe_url",
]
