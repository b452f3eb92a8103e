# The schema of django-entity-event 3.x in one migration, under the name of that release's squashed
# migration, so that a database migrated by 3.x counts it as applied. 0006 brings it to 4.x.

import django.core.serializers.json
import django.db.models.deletion
import django.utils.timezone
import entity_event.models
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    replaces = [
        ('entity_event', '0001_initial'),
        ('entity_event', '0002_medium_creation_time'),
        ('entity_event', '0003_auto_20170830_1321'),
        ('entity_event', '0004_auto_20180403_1655'),
        ('entity_event', '0005_auto_20200409_1612'),
    ]

    dependencies = [
        ('entity', '0002_entitygroup_logic_string'),
    ]

    operations = [
        migrations.CreateModel(
            name='Event',
            fields=[
                ('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('context', models.JSONField(encoder=django.core.serializers.json.DjangoJSONEncoder)),
                ('time', models.DateTimeField(auto_now_add=True, db_index=True)),
                ('time_expires', models.DateTimeField(db_index=True, default=entity_event.models.never_expires)),
                ('uuid', models.CharField(max_length=512, unique=True)),
            ],
        ),
        migrations.CreateModel(
            name='RenderingStyle',
            fields=[
                ('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=256, unique=True)),
                ('display_name', models.CharField(blank=True, default='', max_length=256)),
            ],
        ),
        migrations.CreateModel(
            name='Source',
            fields=[
                ('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=64, unique=True)),
                ('display_name', models.CharField(max_length=64)),
                ('description', models.TextField()),
            ],
        ),
        migrations.CreateModel(
            name='SourceGroup',
            fields=[
                ('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=256, unique=True)),
                ('display_name', models.CharField(max_length=256)),
                ('description', models.TextField()),
            ],
        ),
        migrations.CreateModel(
            name='AdminEvent',
            fields=[
            ],
            options={
                'verbose_name': 'announcement',
                'proxy': True,
                'indexes': [],
                'constraints': [],
            },
            bases=('entity_event.event',),
        ),
        migrations.CreateModel(
            name='EventActor',
            fields=[
                ('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('entity', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='entity.entity')),
                ('event', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='entity_event.event')),
            ],
        ),
        migrations.CreateModel(
            name='Medium',
            fields=[
                ('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=64, unique=True)),
                ('display_name', models.CharField(max_length=64)),
                ('description', models.TextField()),
                ('time_created', models.DateTimeField(auto_now_add=True)),
                ('additional_context', models.JSONField(blank=True, default=None, encoder=django.core.serializers.json.DjangoJSONEncoder, null=True)),
                ('rendering_style', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, to='entity_event.renderingstyle')),
            ],
            options={
                'verbose_name_plural': 'media',
            },
        ),
        migrations.AddField(
            model_name='event',
            name='source',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='entity_event.source'),
        ),
        migrations.AddField(
            model_name='source',
            name='group',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='entity_event.sourcegroup'),
        ),
        migrations.CreateModel(
            name='Subscription',
            fields=[
                ('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('only_following', models.BooleanField(default=True)),
                ('entity', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='entity.entity')),
                ('medium', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='entity_event.medium')),
                ('source', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='entity_event.source')),
                ('sub_entity_kind', models.ForeignKey(blank=True, default=None, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='entity.entitykind')),
            ],
        ),
        migrations.CreateModel(
            name='Unsubscription',
            fields=[
                ('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('entity', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='entity.entity')),
                ('medium', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='entity_event.medium')),
                ('source', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='entity_event.source')),
            ],
        ),
        migrations.CreateModel(
            name='EventSeen',
            fields=[
                ('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('time_seen', models.DateTimeField(default=django.utils.timezone.now)),
                ('event', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='entity_event.event')),
                ('medium', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='entity_event.medium')),
            ],
            options={
                'verbose_name_plural': 'events seen',
                'unique_together': {('event', 'medium')},
            },
        ),
        migrations.CreateModel(
            name='ContextRenderer',
            fields=[
                ('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=256, unique=True)),
                ('text_template_path', models.CharField(blank=True, default='', max_length=256)),
                ('html_template_path', models.CharField(blank=True, default='', max_length=256)),
                ('text_template', models.TextField(blank=True, default='')),
                ('html_template', models.TextField(blank=True, default='')),
                ('context_hints', models.JSONField(blank=True, default=None, encoder=django.core.serializers.json.DjangoJSONEncoder, null=True)),
                ('rendering_style', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='entity_event.renderingstyle')),
                ('source', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, to='entity_event.source')),
                ('source_group', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, to='entity_event.sourcegroup')),
            ],
            options={
                'unique_together': {('source', 'rendering_style')},
            },
        ),
    ]
